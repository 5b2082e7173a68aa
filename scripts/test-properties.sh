#!/usr/bin/env bash
# The properties suite (issue 13): the core's properties on generated inputs
# (core/tests/properties.rs: route sequences against a reference model of the rules, what-if,
# redaction, dependency closure, the wire on generated requests), then the door differential:
# the generated requests (valid and slightly broken) answered by every door — native `call`,
# wasmtime (the shipped .wasm's raw ABI), PHP (the extension) and Node (the npm package) — and
# the answers compared byte for byte. Each property and each door is one unit; the last line is
# `properties: N passed, M failed`.
#
# Deterministic: a fixed seed (PROPTEST_RNG_SEED picks another), each property's own case count
# (PROPTEST_CASES sets them all), EMONGROUPS_DIFFERENTIAL_LINES requests (1000). A failing case
# is printed shrunk, and its seed kept in core/proptest-regressions/properties.txt.
# Builds what it needs (scripts/build-wasm.sh, scripts/php-setup.sh), installing tools on Debian.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
target_dir=${CARGO_TARGET_DIR:-target}
out=$target_dir/properties
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
passed=0
failed=0

echo "--> the core's properties (cargo test --features fixtures --test properties -- --ignored)"
EMONGROUPS_DIFFERENTIAL_DIR="$out" cargo test --locked -p emongroups-core --features fixtures --test properties \
  -- --ignored --nocapture 2>&1 | tee "$out/rust.log"
summary=$(grep -E '^test result:' "$out/rust.log" | tail -n1)
if [ -n "$summary" ]; then
  rust_passed=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$summary")
  rust_failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")
  passed=$((passed + rust_passed))
  failed=$((failed + rust_failed))
else
  echo "FAIL the properties did not run (see above)"
  failed=$((failed + 1))
fi
echo "    core properties: $((SECONDS - started)) s"

doors_started=$SECONDS
echo "--> building the doors"
source scripts/wasm-tools.sh
ensure_wasm_tools node || true
bash scripts/build-wasm.sh || echo "(build-wasm.sh failed; the wasm doors are tested with what was built)"
runner_ok=1
cargo build --release -p emongroups-wasmtime-runner 2>&1 || runner_ok=0
# Builds the extension and defines run_php.
source scripts/php-setup.sh

requests=$out/requests.jsonl
# One door: its answers to every line, compared byte for byte with the native ones.
door() {
  local name=$1
  shift
  if [ ! -s "$requests" ] || [ ! -s "$out/native.out" ]; then
    echo "FAIL differential/$name: no generated requests (the core's properties did not write them)"
    failed=$((failed + 1))
    return
  fi
  if ! "$@" "$requests" >"$out/$name.out" 2>"$out/$name.err"; then
    echo "FAIL differential/$name: the replay failed"
    head -c 2000 "$out/$name.err"
    failed=$((failed + 1))
    return
  fi
  local lines
  lines=$(wc -l <"$requests")
  if cmp -s "$out/native.out" "$out/$name.out"; then
    echo "ok   differential/$name: $lines answers byte-identical to native"
    passed=$((passed + 1))
    return
  fi
  failed=$((failed + 1))
  local differing first
  differing=$(diff <(cat -n "$out/native.out") <(cat -n "$out/$name.out") | grep -c '^<')
  first=$(cmp "$out/native.out" "$out/$name.out" 2>&1 | sed -nE 's/.*line ([0-9]+).*/\1/p')
  first=${first:-$(($(wc -l <"$out/$name.out") + 1))}
  echo "FAIL differential/$name: $differing of $lines answers differ from native; the first, line $first:"
  echo "  request: $(sed -n "${first}p" "$requests" | head -c 600)"
  echo "  native:  $(sed -n "${first}p" "$out/native.out" | head -c 600)"
  echo "  $name: $(sed -n "${first}p" "$out/$name.out" | head -c 600)"
  echo "  (all answers: $out/native.out, $out/$name.out)"
}

echo "--> the door differential ($(wc -l <"$requests" 2>/dev/null || echo 0) generated requests)"
if [ "$runner_ok" = 1 ]; then
  door wasmtime "$target_dir/release/emongroups-wasmtime-runner" replay
else
  echo "FAIL differential/wasmtime: the runner did not build"
  failed=$((failed + 1))
fi
door php run_php host-tests/php/replay.php
door node node host-tests/node/replay.mjs
echo "    doors: $((SECONDS - doors_started)) s; total $((SECONDS - started)) s"

echo "properties: $passed passed, $failed failed"
[ "$failed" = 0 ]
