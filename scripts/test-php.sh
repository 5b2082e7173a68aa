#!/usr/bin/env bash
# The PHP door: builds the `emongroups` extension against the system PHP and runs, with only that
# extension loaded (`php -n`), the conformance vectors, the hostile-input tests and the check that
# the IDE stub matches what the extension exports; lints the stub and prints `php --ri`.
# Installs PHP's development files and libclang when missing (scripts/php-setup.sh). Safe to run
# again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/php-setup.sh

status=0
run_php host-tests/php/conformance.php || status=1
run_php host-tests/php/hostile.php || status=1
run_php host-tests/php/stub.php || status=1
"$php_bin" -n -l php-ext/stubs/emongroups.stub.php || status=1
run_php --ri emongroups || status=1
exit $status
