#!/usr/bin/env bash
# The access preview in headless Chromium: for a group of 1,000 members with 20 feeds each, the
# median time to load the group's snapshot into the WebAssembly Engine, and of one preview
# (route + what_if). Installs what it needs on Debian (chromium, the npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh   # ensure_packages
ensure_packages chromium fonts-dejavu-core
bash scripts/group-wasm.sh
if [ ! -d host-tests/browser/node_modules/playwright-core ]; then
  (cd host-tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-bench-browser.XXXXXX")
trap 'rm -rf "$work"' EXIT
cargo run -q --release -p emongroups-core --features fixtures --example gen_state -- 1000 1 1000 20 >"$work/state.json"
node host-tests/browser/bench.mjs "$work/state.json"
