#!/usr/bin/env bash
# Fuzzes with libFuzzer and AddressSanitizer, each target for SECONDS:
#   mime   the MIME parser (and the reply composer fed with what it parsed),
#          seeded with every .eml of the repository;
#   rules  the rule parser (Triage's RuleParser.parse), seeded with the rule
#          files of rules/ (one input is a whole folder, files between `%%` lines).
#
#   scripts/fuzz.sh [SECONDS] [mime|rules|both]    default 30 s, both; scripts/test.sh runs a short smoke run
#
# Run it long (an hour, a night) after changing a parser:
#   scripts/fuzz.sh 3600 mime
# New interesting inputs are kept in .build/fuzz/TARGET-corpus; a crash leaves
# .build/fuzz/TARGET-crash-* with the input that caused it. A MIME one, once
# fixed, goes to Tests/MailMessageTests/Fixtures/hostile/ (ParsingTests reads
# every mail there); a rules one becomes a case of Triage's RuleParserTests.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
which=${2:-both}
out=.build/fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -parse-as-library -Onone -g)

# Rebuilds $1 when a Swift file under the other arguments is newer than it.
stale() {
  local binary=$1
  shift
  [ ! -x "$binary" ] || [ -n "$(find "$@" -newer "$binary" -name '*.swift' | head -n 1)" ]
}

# Builds quietly: the linker warns about every ASan symbol, so its output is
# shown only when the build fails.
build() {
  local log=$1
  shift
  if ! swiftc "$@" 2>"$log"; then
    cat "$log" >&2
    exit 1
  fi
}

# Runs fuzzer $1 on corpus $2 for $seconds; fails when it leaves a crash, a timeout or an OOM.
run() {
  local name=$1 corpus=$2
  echo "fuzz: $name for ${seconds}s"
  "$out/$name-fuzzer" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/$name-" -print_final_stats=1 2>&1 |
    grep -E '^(#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' || true
  if ls "$out/$name"-crash-* "$out/$name"-timeout-* "$out/$name"-oom-* >/dev/null 2>&1; then
    echo "fuzz: $name FAILED; the inputs are in $out ($name-crash-*, $name-timeout-*, $name-oom-*)" >&2
    exit 1
  fi
}

if [ "$which" = mime ] || [ "$which" = both ]; then
  if stale "$out/mime-fuzzer" Sources/MailMessage Fuzz/MailMessageFuzzer.swift; then
    echo "fuzz: building the MIME fuzzer"
    build "$out/mime-build.log" "${flags[@]}" -module-name MailMessage \
      Sources/MailMessage/*.swift Fuzz/MailMessageFuzzer.swift -o "$out/mime-fuzzer"
  fi
  mkdir -p "$out/mime-corpus"
  # Seeds: every mail fixture of the repository.
  find Tests rules scripts -name '*.eml' -size -1M -exec cp -n {} "$out/mime-corpus/" \; 2>/dev/null || true
  run mime "$out/mime-corpus"
fi

if [ "$which" = rules ] || [ "$which" = both ]; then
  if stale "$out/rules-fuzzer" Sources/MailMessage Sources/Triage Fuzz/RuleParserFuzzer.swift; then
    echo "fuzz: building the rule parser fuzzer"
    # MailMessage as a module of its own (Triage imports it), then Triage with the entry point.
    mkdir -p "$out/modules"
    build "$out/rules-build.log" "${flags[@]}" -module-name MailMessage -emit-library -static \
      -emit-module -emit-module-path "$out/modules/MailMessage.swiftmodule" \
      Sources/MailMessage/*.swift -o "$out/libMailMessage.a"
    triage_sources=()
    while IFS= read -r -d '' file; do triage_sources+=("$file"); done < <(find Sources/Triage -name '*.swift' -print0)
    build "$out/rules-build.log" "${flags[@]}" -module-name Triage -I "$out/modules" \
      "${triage_sources[@]}" Fuzz/RuleParserFuzzer.swift -L "$out" -lMailMessage -o "$out/rules-fuzzer"
  fi
  mkdir -p "$out/rules-corpus"
  # Seeds: the rules folder as one input, and each file on its own as a category.
  {
    cat rules/settings.rules
    printf '\n%%%%\n'
    cat rules/lists.rules
    for file in rules/categories/*.rules; do
      printf '\n%%%%\n'
      cat "$file"
    done
  } >"$out/rules-corpus/rules-folder"
  for file in rules/*.rules rules/categories/*.rules; do
    printf '\n%%%%\n\n%%%%\n' | cat - "$file" >"$out/rules-corpus/$(basename "$file")"
  done
  run rules "$out/rules-corpus"
fi
echo "fuzz: no crash"
