#!/usr/bin/env bash
# The benchmarks that need the mail stack (BENCHMARKS.md, "Transport" and
# "The engine"): starts a stack of its own on ports 22000+, builds the
# release binaries, and runs stack-benchmark, which prints every figure
# beside its baseline measured in the same run (curl CLI, swaks).
#
#   scripts/bench-stack.sh [transport] [engine] [--big-mailbox 20000] [--fetch 500]
#                          [--replies 200] [--mails 1000] [--latency-samples 30]
#
# Needs root, like scripts/mailstack.sh (it installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${SUPPORTBOT_BENCH_STACK:-/tmp/supportbot-bench-stack}
scripts/mailstack.sh reset "$stack" 22000 >/dev/null
trap 'scripts/mailstack.sh stop "$stack"' EXIT
set -a; . "$stack/env"; set +a
swift build -c release --product supportbot
swift build -c release --product stack-benchmark
# Line-buffered, so every figure reaches a log file even if a later step fails.
SUPPORTBOT_RULES="$PWD/rules" stdbuf -oL .build/release/stack-benchmark "$@"
