#!/usr/bin/env bash
# The group module's benchmark inside real emoncms (11.16.8; EMONCMS_VERSION=10.2.7 for the 10.x
# line), with its own MariaDB and Redis on 127.0.0.1 (host-tests/emoncms/env.sh).
#
# State: one group administrator in 50 groups × 50 distinct members (2,500 members) × 20 PHPFina
# feeds each (50,000 feeds), every member with 2 inputs; the members of the first 5 groups have a
# day of data (600 s points) on their first two feeds, and every other feed has a last value (one
# point now), as a live site's feeds do. It is seeded by host-tests/emoncms/bulk.php,
# a PHP CLI bootstrapped from the copied emoncms tree as index.php is (process_settings.php,
# mysqli, Redis) that calls emoncms's own models: User::register, Feed::create (PHPFina),
# Feed::post_multiple (11.x) or Feed::insert_data (10.2.7) for the data, Input::create_input; the
# memberships go into `groups`/`group_users` by SQL, as an existing group 2.0.0 installation has
# them. HTTP would take far too long for 2,500 accounts and 50,000 feeds.
#
# Measured by host-tests/emoncms/bench.php (PHP curl, one request at a time, read API keys in the
# query — no cookie session, so no PHP session lock), after a warm-up, BENCH_ROUNDS rounds of
# getfeed and the floor back to back (in turn first), then BENCH_ROUNDS rounds of the two lists:
#   group/getfeed/data.json  a member's data feed, a day at 3600 s, as the group administrator
#   feed/data.json           the floor: the same feed and query as its owner
#   group/userlist.json      one group (its administrator + 50 members)
#   group/mygroups.json      all 50 groups
# and, for one request of each on the quiet server, the SQL statements (MariaDB Questions) and
# Redis commands (total_commands_processed) of the whole emoncms request, and the response size.
# Targets: getfeed ≤ 1.2 × floor, userlist ≤ 15 ms, mygroups ≤ 150 ms; a missed target fails the
# run unless BENCH_NO_TARGETS=1.
#
#   BENCH_ROUNDS=31 BENCH_WARMUP=3 BENCH_GROUPS=50 BENCH_MEMBERS=50 BENCH_FEEDS=20
#   BENCH_KEEP=1 keeps the run directory; PHP_CLI_SERVER_WORKERS (default 2) for the server.
# PHP's opcode cache is on (EMONCMS_OPCACHE=1, as Apache's mod_php and php-fpm have it by
# default; EMONCMS_OPCACHE=0 measures without it). BENCH_HOLD=1 keeps the servers up after the
# run (for profiling: the environment is printed) until RUN/hold is deleted.
# emoncms's log runs at its default level (2, warnings) here, not the tests' 1, so that the
# benchmark does not time info lines being written.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
source host-tests/emoncms/env.sh

version=${EMONCMS_VERSION:-11.16.8}
emoncms_packages
build_extension

run=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-bench.XXXXXX")
cleanup() {
  emoncms_down
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "run kept in $run" >&2; else rm -rf "$run"; fi
}
trap cleanup EXIT

export PHP_CLI_SERVER_WORKERS=${PHP_CLI_SERVER_WORKERS:-2} EMONCMS_OPCACHE=${EMONCMS_OPCACHE:-1}
emoncms_up "$run" "$version"
echo "bench/module emoncms $EMONCMS_VERSION, PHP_CLI_SERVER_WORKERS=$PHP_CLI_SERVER_WORKERS, opcache $EMONCMS_OPCACHE, rounds ${BENCH_ROUNDS:-31}"
sed -i 's/^level = 1$/level = 2/' "$EMONCMS_WWW/settings.ini"

start=$(date +%s.%N)
(cd "$EMONCMS_WWW" && emoncms_php "$EG_ROOT/host-tests/emoncms/bulk.php" --out="$EMONCMS_RUN/bulk.json" \
  --groups="${BENCH_GROUPS:-50}" --members="${BENCH_MEMBERS:-50}" --feeds="${BENCH_FEEDS:-20}" --inputs=2 --data-groups=5)
seeded=$(date +%s.%N)
awk -v a="$start" -v b="$seeded" 'BEGIN { printf "bench/module seed: %.1f s\n", b - a }'

status=0
php "$EG_ROOT/host-tests/emoncms/bench.php" --base="$EMONCMS_BASE" --bulk="$EMONCMS_RUN/bulk.json" \
  --rounds="${BENCH_ROUNDS:-31}" --warmup="${BENCH_WARMUP:-3}" || status=$?
if [ "${BENCH_HOLD:-0}" = 1 ]; then
  touch "$run/hold"
  env | grep -E '^EMONCMS_' | sed 's/^/export /' >"$run/env"
  echo "bench/module holding: source $run/env; rm $run/hold to stop" >&2
  while [ -e "$run/hold" ]; do sleep 2; done
fi
exit $status
