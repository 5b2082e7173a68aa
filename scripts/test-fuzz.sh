#!/usr/bin/env bash
# Coverage-guided fuzzing of the core (fuzz/, cargo-fuzz + libFuzzer on the nightly toolchain),
# the short run of ./dev.sh test: first every input in fuzz/regressions/ (what earlier runs
# found, kept so it stays fixed), then each target for FUZZ_SECONDS (default 30) from a seed
# corpus made of the conformance vectors (fuzz/seeds.py). A crash fails the run and its input is
# left in fuzz/artifacts/<target>/; make it a regression (and, where a request can carry it, a
# vector) once fixed. The long run is scripts/fuzz-long.sh.
#   fuzz/wire_call     the wire call: never a panic, always a JSON answer, call_apart = call,
#                      one-pass state reading = the ordinary one
#   fuzz/state_reader  State::from_json_text = State::from_json = the reading by rows, on any text
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh
ensure_packages python3 clang

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi

seconds=${FUZZ_SECONDS:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 fuzz/seeds.py "$work/seeds" >/dev/null
(cd fuzz && cargo +nightly fuzz build -O >&2)

passed=0 failed=0
for target in wire_call state_reader; do
  if [ -d "fuzz/regressions/$target" ] && [ -n "$(ls -A "fuzz/regressions/$target")" ]; then
    if (cd fuzz && cargo +nightly fuzz run -O "$target" "regressions/$target" -- -runs=0 >"$work/$target-regressions.log" 2>&1); then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); echo "FAIL fuzz/$target: a regression input crashes again"; tail -n 30 "$work/$target-regressions.log"
    fi
  fi
  mkdir -p "$work/corpus/$target"
  if (cd fuzz && cargo +nightly fuzz run -O "$target" "$work/corpus/$target" "$work/seeds/$target" -- \
      -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 >"$work/$target.log" 2>&1); then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log" | tail -n1)
    echo "fuzz/$target: ${runs:-?} executions in ${seconds} s, no crash"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL fuzz/$target: crashed (input in fuzz/artifacts/$target/)"
    grep -E "panicked|SUMMARY" -A3 "$work/$target.log" | head -n 20
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
