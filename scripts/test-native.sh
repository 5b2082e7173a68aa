#!/usr/bin/env bash
# The core's unit and integration tests, doc tests, the JS door's request/answer code (natively),
# and the native conformance runner (every vector through `call`), whose closing line is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Formatting first: unformatted code fails the run (rustfmt.toml holds the settings).
rustfmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo fmt --all --check
# Lints: every warning of clippy fails the run (the workspace's [lints] hold the settings). The PHP
# door's crate is linted in scripts/test-php.sh, once PHP's headers are installed.
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
cargo clippy --locked -p emongroups-core -p emongroups-host-tests -p emongroups-wasm --all-targets --all-features -- -D warnings 2>&1
# The core's layers: no module imports one that imports it back.
python3 scripts/check-imports.py
cargo test --locked 2>&1
cargo test --locked -p emongroups-wasm 2>&1
# The TypeScript declarations (feature ts, off by default) against the names the wire writes.
cargo test --locked -q -p emongroups-core --features ts --lib -- --exact ts::tests::the_unions_name_what_the_wire_writes 2>&1
cargo test --locked -q -p emongroups-host-tests --test conformance -- --nocapture 2>&1 | grep -E "^conformance/|^FAIL" || true
