#!/usr/bin/env bash
# Builds the npm package of the WebAssembly door into wasm/pkg/:
#   the core compiled for wasm32 (size profile `wasm-release`), wasm-bindgen's ES-module glue
#   (--target web: browsers, and Node by passing the bytes), wasm-opt -Oz, and the committed
#   wrapper files of wasm/npm/. Fails when the shipped .wasm is over its guard of 350,000 bytes
#   gzipped (what a browser downloads); the package is complete before that check, so the
#   runners can still test it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_wasm_tools

# The old budget of 200,000 / 80,000 bytes is withdrawn (issue 14): the door is built on
# serde-wasm-bindgen, js-sys and serde_json instead of hand-made glue. This guard only keeps the
# module from growing without anyone noticing.
GUARD_GZIP=350000   # bytes, the shipped .wasm gzipped

target_dir=${CARGO_TARGET_DIR:-target}
out=wasm/pkg
# No stale package may survive a failed build: the runners would test the old one.
rm -rf "$out"
cargo build -p emongroups-wasm --profile wasm-release --target wasm32-unknown-unknown
built=$target_dir/wasm32-unknown-unknown/wasm-release/emongroups_wasm.wasm

# wasm-opt runs on the module before wasm-bindgen adds its externref table: Debian's binaryen
# (108) reads `externref` as its old `anyref` and writes a module engines reject. wasm-bindgen
# afterwards only rewrites the glue imports/exports, so the shipped code is the optimised one.
# Debian's binaryen ignores the target-features section, so name the features rustc's wasm32
# target enables by default. A newer binaryen (116, `cargo install wasm-opt`, a 25-minute C++
# build) run after wasm-bindgen was measured: within 2% of this size, so Debian's is used.
mkdir -p "$out"
optimized=$out/emongroups_wasm.opt.wasm
wasm-opt -Oz --strip-producers \
  --enable-bulk-memory --enable-reference-types --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue \
  -o "$optimized" "$built"
wasm-bindgen --target web --out-dir "$out" --out-name emongroups_wasm --remove-name-section \
  --remove-producers-section "$optimized"
rm "$optimized"
wasm=$out/emongroups_wasm_bg.wasm

cp wasm/npm/package.json wasm/npm/index.js wasm/npm/types.d.ts wasm/npm/README.md "$out/"
# The wire's typed answers, changes and error codes as TypeScript, derived by ts-rs from the Rust
# types that write them (core/src/ts.rs); types.d.ts imports them.
cargo run -q -p emongroups-core --features ts --example ts_types >"$out/wire.d.ts"
crate_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
if ! grep -q "\"version\": \"$crate_version\"" "$out/package.json"; then
  echo "wasm/npm/package.json must carry the crate version $crate_version" >&2
  exit 1
fi

raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "wasm size: $raw bytes raw, $gz bytes gzipped (guard $GUARD_GZIP gzipped)"
if [ "$gz" -gt "$GUARD_GZIP" ]; then
  echo "GREW: the shipped .wasm is $gz bytes gzipped, past the guard of $GUARD_GZIP;" \
    "see what grew with: twiggy top -n 40 $built" >&2
  exit 1
fi
echo "npm package in $out/"
