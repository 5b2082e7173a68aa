#!/usr/bin/env bash
# Load and fault tests of the group module inside real emoncms, short version (./dev.sh test): the
# run of scripts/load-long.sh (16 client processes of mixed reads and writes, the serial replay of
# the accepted changes on a second emoncms, kill -9 of PHP and of MariaDB in the middle of five
# kinds of multi-row change, on 11.16.8 and 10.2.7) with LOAD_SECONDS=10 instead of 60: about
# 45 s per version. Ends with `load: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
LOAD_SECONDS=${LOAD_SECONDS:-10} exec bash scripts/load-long.sh
