#!/usr/bin/env bash
# The WebAssembly door: builds the npm package (scripts/build-wasm.sh), then replays every
# conformance vector through it in wasmtime (raw ABI) and in Node (wasm-bindgen), and runs the
# hostile-input tests in Node, and checks the package's TypeScript types against the vectors.
# Installs what it needs on Debian; quick when all is there.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_wasm_tools node || exit 1

status=0
step() {
  echo "--> $*"
  "$@" || status=1
}

# The size budget failing must not hide the conformance results: the package is complete
# before the budget is checked, so test it anyway (the step still fails).
step bash scripts/build-wasm.sh
if [ ! -f wasm/pkg/emongroups_wasm_bg.wasm ] || [ ! -f wasm/pkg/index.js ]; then
  echo "no package was built; nothing to test" >&2
  exit 1
fi

target_dir=${CARGO_TARGET_DIR:-target}
if step cargo build --release -p emongroups-wasmtime-runner; then
  step "$target_dir/release/emongroups-wasmtime-runner" conformance
fi
step node host-tests/node/conformance.mjs
step node --test host-tests/node/hostile.test.mjs
# The package's TypeScript types against the vectors' answers (tsc --strict, from npm).
if [ ! -x host-tests/node/node_modules/.bin/tsc ]; then
  (cd host-tests/node && npm ci --no-audit --no-fund --loglevel=error) || status=1
fi
step node host-tests/node/types.mjs
exit $status
