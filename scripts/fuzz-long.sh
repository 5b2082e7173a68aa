#!/usr/bin/env bash
# The long fuzzing run (scripts/test-fuzz.sh is the short one in ./dev.sh test): each target for
# FUZZ_SECONDS (default 3600) on FUZZ_JOBS workers (default 1), keeping its corpus in
# fuzz/corpus/<target>/ between runs (not committed). Prints each target's executions and
# crashes; a crash's input is in fuzz/artifacts/<target>/.
#   FUZZ_TARGETS="wire_call" FUZZ_SECONDS=1800 scripts/fuzz-long.sh
# FUZZ_MAX_LEN (default 65536) caps an input's length: smaller inputs run many times faster.
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh
ensure_packages python3 clang
rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz
seconds=${FUZZ_SECONDS:-3600}
jobs=${FUZZ_JOBS:-1}
python3 fuzz/seeds.py fuzz/corpus-seeds >/dev/null
(cd fuzz && cargo +nightly fuzz build -O >&2)
status=0
for target in ${FUZZ_TARGETS:-wire_call state_reader}; do
  mkdir -p "fuzz/corpus/$target"
  log="fuzz/$target-long.log"
  (cd fuzz && cargo +nightly fuzz run -O "$target" "corpus/$target" "corpus-seeds/$target" -- \
    -max_total_time="$seconds" -max_len="${FUZZ_MAX_LEN:-65536}" -jobs="$jobs" -workers="$jobs" -print_final_stats=1) >"$log" 2>&1 || status=1
  # With several workers, libFuzzer writes each one's final stats to fuzz/fuzz-<n>.log and repeats
  # them in the target's log: count the workers' logs only, else the target's (one worker).
  if ls fuzz/fuzz-*.log >/dev/null 2>&1 && [ "$jobs" -gt 1 ]; then sources=(fuzz/fuzz-*.log); else sources=("$log"); fi
  runs=$(grep -h '^stat::number_of_executed_units' "${sources[@]}" 2>/dev/null | awk '{ s += $2 } END { print s + 0 }')
  crashes=$(ls "fuzz/artifacts/$target" 2>/dev/null | wc -l)
  echo "fuzz-long/$target: $runs executions in $seconds s on $jobs worker(s), $crashes crash input(s)"
done
exit $status
