#!/usr/bin/env bash
# Puts the WebAssembly package (wasm/pkg, built by scripts/build-wasm.sh when missing or older
# than the sources) into the group module as Modules/group/lib/, where the group page's access
# preview and its playground (Modules/group/playground/) load it from: index.js,
# emongroups_wasm.js and the .wasm.
# FORCE=1 rebuilds the package first. lib/ is not committed (see php-ext/module/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=wasm/pkg
lib=php-ext/module/group/lib
files=(index.js emongroups_wasm.js emongroups_wasm_bg.wasm)

stale=0
for f in "${files[@]}"; do [ -f "$pkg/$f" ] || stale=1; done
if [ "$stale" = 0 ] && [ -n "$(find core/src wasm/src wasm/npm -newer "$pkg/emongroups_wasm_bg.wasm" -type f 2>/dev/null | head -n1)" ]; then
  stale=1
fi
if [ "$stale" = 1 ] || [ "${FORCE:-0}" = 1 ]; then
  # build-wasm.sh fails when the .wasm is over its size budget, after writing the package: a
  # complete package is still what the page needs, so only a missing file is fatal here.
  bash scripts/build-wasm.sh >&2 || echo "group-wasm: build-wasm.sh reported a problem (see above); using the package it wrote" >&2
fi
for f in "${files[@]}"; do
  [ -f "$pkg/$f" ] || { echo "group-wasm: $pkg/$f is missing" >&2; exit 1; }
done
mkdir -p "$lib"
cp "${files[@]/#/$pkg/}" "$lib/"
echo "group-wasm: $(wc -c <"$lib/emongroups_wasm_bg.wasm") byte engine in $lib/" >&2
