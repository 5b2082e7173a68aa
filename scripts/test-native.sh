#!/usr/bin/env bash
# The core's unit tests, doc tests and the native conformance runner (all vectors through `call`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked 2>&1
