#!/usr/bin/env bash
# Installs what supportbot needs on Debian/Ubuntu, and only what is missing:
# libcurl (OpenSSL flavour) and SQLite headers to build, Dovecot, Postfix and
# swaks for the local mail stack of the tests and the demo.
# Needs root (or sudo) the first time; a second run changes nothing.
set -euo pipefail

packages=(libcurl4-openssl-dev libsqlite3-dev pkg-config ca-certificates openssl python3
          dovecot-imapd dovecot-lmtpd postfix swaks curl)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo: apt-get needs root" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Postfix asks how it should be set up; the mail stack writes its own configuration.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  cat >&2 <<'MSG'
setup: the Swift toolchain (6.1 or newer) is not on PATH.
Install it from https://www.swift.org/install/linux/ (for example with swiftly),
then run this command again.
MSG
  exit 1
fi
version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -n1)
case "$version" in
  6.[1-9]*|[7-9].*) ;;
  *) echo "setup: Swift $version found; supportbot needs 6.1 or newer" >&2; exit 1 ;;
esac
echo "setup: ready (Swift $version)"
