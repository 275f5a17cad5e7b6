#!/usr/bin/env bash
# Sets everything up and runs every check: the format lint, the build, and all
# tests, the network ones against a real Dovecot + Postfix on loopback.
#
#   scripts/test.sh [swift test arguments, e.g. --filter EngineTests]
#
# The mail stack lives in $SUPPORTBOT_TEST_STACK (default /tmp/supportbot-test-stack)
# on ports $SUPPORTBOT_TEST_PORT_BASE+ (default 20000+) and is started fresh and
# stopped again; the demo uses 10000+, so both can run on one machine (and two
# checkouts can test side by side with different folders and port bases).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks Fuzz

echo "== build"
swift build --build-tests

echo "== the default rules: rules check, and rules test on the training and the sealed validation mails"
bin=$(swift build --show-bin-path)/supportbot
# The whole report only when something fails; its last lines otherwise. The
# labelled mails must not score worse than their ratchet (a figure moves only
# up, with --update-ratchet); the sealed set prints figures only.
run_check() {
  local name=$1; shift
  if ! "$bin" "$@" > ".build/rules-$name.txt"; then
    cat ".build/rules-$name.txt"
    exit 1
  fi
  tail -n 3 ".build/rules-$name.txt"
}
run_check check rules check --rules rules
run_check training rules test --rules rules --ratchet rules/examples/ratchet.txt
run_check validation rules test --rules rules --sealed Tests/Validation --ratchet Tests/Validation/ratchet.txt

stack=${SUPPORTBOT_TEST_STACK:-/tmp/supportbot-test-stack}
echo "== mail stack in $stack"
scripts/mailstack.sh reset "$stack" "${SUPPORTBOT_TEST_PORT_BASE:-20000}" >/dev/null
trap 'scripts/mailstack.sh stop "$stack"' EXIT
set -a
# shellcheck disable=SC1091
source "$stack/env"
set +a
# Without the stack the network tests would be skipped; here that is a failure.
export SUPPORTBOT_REQUIRE_MAILSTACK=1

echo "== tests"
swift test --skip-build "$@"

if [ $# -eq 0 ]; then
  echo "== fuzz smoke run of the MIME parser (scripts/fuzz.sh SECONDS runs it longer)"
  scripts/fuzz.sh 20
fi
