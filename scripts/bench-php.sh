#!/usr/bin/env bash
# Benchmarks of the PHP door (medians): checks per second from a PHP loop through
# EmonGroups\Engine (the native canReadFeed and the JSON check()), and building an Engine from
# PHP arrays of 10,000 memberships. Builds the extension first (scripts/php-setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/php-setup.sh

run_php php-ext/bench/bench.php
