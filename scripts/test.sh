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

echo "== the default rules: rules check, rules test"
bin=$(swift build --show-bin-path)/supportbot
for check in check test; do
  # The whole report only when something fails; its last line otherwise.
  if ! "$bin" rules "$check" --rules rules > ".build/rules-$check.txt"; then
    cat ".build/rules-$check.txt"
    exit 1
  fi
  tail -n 1 ".build/rules-$check.txt"
done

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
