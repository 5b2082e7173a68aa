#!/usr/bin/env bash
# Load and fault tests of the group module inside real emoncms, short version (./dev.sh test):
# LOAD_CLIENTS=16 client processes for LOAD_SECONDS=10 s of mixed reads and writes (logins and
# API keys), the serial replay of the accepted changes on a second emoncms, and kill -9 of PHP and
# of MariaDB in the middle of five kinds of multi-row change (host-tests/load/), on emoncms 11.16.8
# and 10.2.7 (EMONCMS_VERSIONS="11.16.8" for one; about 45 s each). The full run is
# scripts/load-long.sh.
# Prints p50/p99 per route and ends with `load: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh
source host-tests/load/suite.sh
export LOAD_CLIENTS=${LOAD_CLIENTS:-16} LOAD_SECONDS=${LOAD_SECONDS:-10} LOAD_WORKERS=${LOAD_WORKERS:-16}
export EMONCMS_VERSIONS=${EMONCMS_VERSIONS:-11.16.8 10.2.7}
load_suite
