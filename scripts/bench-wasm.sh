#!/usr/bin/env bash
# Benchmarks of the WebAssembly door, with medians:
#   (a) Node: one feed-read check on a held Engine over a generated state, through the fast path
#       canReadFeed (target <= 300 ns), the convenience check() and the raw handle();
#   (b) the same check request natively (emongroups_core::call) and through wasmtime (eg_call):
#       their ratio (target <= 2).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_wasm_tools node
bash scripts/build-wasm.sh || [ -f wasm/pkg/emongroups_wasm_bg.wasm ]
node host-tests/node/bench.mjs
cargo build --release -q -p emongroups-wasmtime-runner
"${CARGO_TARGET_DIR:-target}/release/emongroups-wasmtime-runner" bench
