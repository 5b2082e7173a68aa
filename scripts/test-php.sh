#!/usr/bin/env bash
# The PHP door: builds the `emongroups` extension against the system PHP and runs, with only that
# extension loaded (`php -n`), the conformance vectors, the hostile-input tests, the check that
# the IDE stub matches what the extension exports and (on a test-only build) that a Rust panic
# never reaches PHP; lints the stub and prints `php --ri`.
# Installs PHP's development files and libclang when missing (scripts/php-setup.sh). Safe to run
# again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/php-setup.sh

build_panic_probe

status=0
# Lints of the PHP door's crate (its build needs PHP's headers, so not in test-native.sh).
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
cargo clippy --locked -p emongroups-php --all-targets -- -D warnings 2>&1 || status=1
# Each probed panic prints the panic hook's message on stderr: keep them out of the way unless
# the test fails.
panic_log="$(mktemp)"
if ! "$php_bin" -n -d "extension=$EMONGROUPS_PROBE_SO" host-tests/php/panic.php 2>"$panic_log"; then
  cat "$panic_log" >&2
  status=1
fi
rm -f "$panic_log"
run_php host-tests/php/conformance.php || status=1
run_php host-tests/php/hostile.php || status=1
run_php host-tests/php/stub.php || status=1
"$php_bin" -n -l php-ext/stubs/emongroups.stub.php || status=1
run_php --ri emongroups || status=1
exit $status
