#!/usr/bin/env bash
# The core's unit and integration tests, doc tests, the JS door's request/answer code (natively),
# and the native conformance runner (every vector through `call`), whose closing line is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked 2>&1
cargo test --locked -p emongroups-wasm 2>&1
cargo test --locked -q -p emongroups-host-tests --test conformance -- --nocapture 2>&1 | grep -E "^conformance/|^FAIL" || true
