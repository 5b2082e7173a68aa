#!/usr/bin/env bash
# The full load and fault run of the group module inside real emoncms (issue 13): LOAD_CLIENTS=16
# client processes for LOAD_SECONDS=60 s of mixed reads and writes on each version of
# EMONCMS_VERSIONS (11.16.8 and 10.2.7), the serial replay of every accepted change on a second
# emoncms, and kill -9 of PHP and of MariaDB in the middle of multi-row changes
# (host-tests/load/). LOAD_KEEP=1 keeps the run directory (every request in state-*/records.json).
# Prints p50/p99 per route and ends with `load: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh
source host-tests/load/suite.sh
export LOAD_CLIENTS=${LOAD_CLIENTS:-16} LOAD_SECONDS=${LOAD_SECONDS:-60} LOAD_WORKERS=${LOAD_WORKERS:-16}
export EMONCMS_VERSIONS=${EMONCMS_VERSIONS:-11.16.8 10.2.7}
load_suite
