#!/usr/bin/env bash
# Fuzzes the MIME parser (and the reply composer fed with what it parsed)
# with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh [SECONDS]     default 30; scripts/test.sh runs a short smoke run
#
# Run it long (an hour, a night) after changing the parser:
#   scripts/fuzz.sh 3600
# New interesting inputs are kept in .build/fuzz/corpus (seeded from the .eml
# fixtures); a crash leaves .build/fuzz/crash-* with the input that caused it:
# add that file to Tests/MailMessageTests/Fixtures/hostile/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
out=.build/fuzz
mkdir -p "$out/corpus"

if [ ! -x "$out/mailmessage-fuzzer" ] || [ -n "$(find Sources/MailMessage Fuzz -newer "$out/mailmessage-fuzzer" -name '*.swift')" ]; then
  echo "fuzz: building the fuzzer (libFuzzer + AddressSanitizer)"
  # The linker warns about every ASan symbol; show its output only when the build fails.
  if ! swiftc -sanitize=fuzzer,address -parse-as-library -module-name MailMessage -Onone -g \
    Sources/MailMessage/*.swift Fuzz/MailMessageFuzzer.swift -o "$out/mailmessage-fuzzer" 2>"$out/build.log"; then
    cat "$out/build.log" >&2
    exit 1
  fi
fi

# Seeds: every mail fixture of the repository.
find Tests rules scripts -name '*.eml' -size -1M -exec cp -n {} "$out/corpus/" \; 2>/dev/null || true

echo "fuzz: running for ${seconds}s"
"$out/mailmessage-fuzzer" "$out/corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/" -print_final_stats=1 2>&1 | grep -E '^(#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' || true
if ls "$out"/crash-* "$out"/timeout-* "$out"/oom-* >/dev/null 2>&1; then
  echo "fuzz: FAILED; the inputs are in $out (crash-*, timeout-*, oom-*)" >&2
  exit 1
fi
echo "fuzz: no crash"
