#!/usr/bin/env bash
# What a person waits for: the group page of a group of 1,000 members × 20 feeds each, inside real
# emoncms 11.16.8 (EMONCMS_VERSION=10.2.7 for the 10.x line) with its own MariaDB and Redis on
# 127.0.0.1 (host-tests/emoncms/env.sh), opened by the group's administrator in Debian's headless
# Chromium: the time from navigation start to the page's performance mark
# "emongroups:preview-ready" (group.js: the WebAssembly engine fetched and compiled, the group's
# snapshot fetched and loaded into it). host-tests/browser/page-bench.mjs drives Chromium.
#
# State: host-tests/emoncms/bulk.php (emoncms's own models, as scripts/bench-module.sh seeds) with
# one group of 1,000 members, each with 20 PHPFina feeds holding a last value and 2 inputs.
# Rounds: BENCH_ROUNDS fresh pages with the HTTP cache emptied first (cold: a first visit), then,
# after BENCH_WARMUP visits, BENCH_ROUNDS fresh pages with the cache as a returning user has it
# (warm). The target, preview ready ≤ 200 ms (median, warm: what a returning user waits), fails the
# run when missed unless BENCH_NO_TARGETS=1. It closes with
#   bench/page: preview ready median X ms warm (target 200: met|MISSED), Y ms cold; …
#
#   BENCH_ROUNDS=15 BENCH_WARMUP=2 BENCH_MEMBERS=1000 BENCH_FEEDS=20 BENCH_TARGET=200
#   BENCH_KEEP=1 keeps the run directory; PHP_CLI_SERVER_WORKERS (default 4: the page asks for
#   its member list, snapshot and scripts at once); BENCH_HOLD=1 keeps the servers up after the
#   run (the environment is printed) until RUN/hold is deleted.
# PHP's opcode cache is on (EMONCMS_OPCACHE=1), emoncms's log at its default level (2), as in
# scripts/bench-module.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
source host-tests/emoncms/env.sh

version=${EMONCMS_VERSION:-11.16.8}
emoncms_packages chromium fonts-dejavu-core
command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
build_extension
bash scripts/group-wasm.sh
if [ ! -d host-tests/browser/node_modules/playwright-core ]; then
  (cd host-tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-bench-page.XXXXXX")
cleanup() {
  emoncms_down
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "run kept in $run" >&2; else rm -rf "$run"; fi
}
trap cleanup EXIT

export PHP_CLI_SERVER_WORKERS=${PHP_CLI_SERVER_WORKERS:-4} EMONCMS_OPCACHE=${EMONCMS_OPCACHE:-1}
emoncms_up "$run" "$version"
echo "bench/page emoncms $EMONCMS_VERSION, PHP_CLI_SERVER_WORKERS=$PHP_CLI_SERVER_WORKERS, opcache $EMONCMS_OPCACHE, rounds ${BENCH_ROUNDS:-15}"
sed -i 's/^level = 1$/level = 2/' "$EMONCMS_WWW/settings.ini"

start=$(date +%s.%N)
(cd "$EMONCMS_WWW" && emoncms_php "$EG_ROOT/host-tests/emoncms/bulk.php" --out="$EMONCMS_RUN/bulk.json" \
  --groups=1 --members="${BENCH_MEMBERS:-1000}" --feeds="${BENCH_FEEDS:-20}" --inputs=2 --data-groups=0)
seeded=$(date +%s.%N)
awk -v a="$start" -v b="$seeded" 'BEGIN { printf "bench/page seed: %.1f s\n", b - a }'

status=0
EMONGROUPS_BASE="$EMONCMS_BASE" node host-tests/browser/page-bench.mjs --bulk="$EMONCMS_RUN/bulk.json" || status=$?
if [ "${BENCH_HOLD:-0}" = 1 ]; then
  touch "$run/hold"
  env | grep -E '^EMONCMS_' | sed 's/^/export /' >"$run/env"
  echo "bench/page holding: source $run/env; rm $run/hold to stop" >&2
  while [ -e "$run/hold" ]; do sleep 2; done
fi
exit $status
