# Sourced by scripts/test-load.sh (short) and scripts/load-long.sh (full), after
# host-tests/emoncms/env.sh. For each emoncms version:
#   1. emoncms_up with the load prepend (X-Load-Conn), PHP_CLI_SERVER_WORKERS=$LOAD_WORKERS, seed.php demo;
#   2. load.php prepare (test-only audit triggers, mariadb-dump of the database before the load);
#   3. load.php run: $LOAD_CLIENTS clients for $LOAD_SECONDS s (checks, p50/p99 per route);
#   4. kill.php: kill -9 of PHP and of MariaDB in the middle of multi-row changes, restart, check;
#   5. a second, fresh emoncms from the dump: replay.php replays the accepted changes serially.
# Each PHP phase appends "passed failed" to the tally; load_suite prints `load: N passed, M failed`.
# LOAD_KILL=0 skips the kill cases; LOAD_KILL_CASES=delete,deleteall,createuser,setuserinfo,fullremove
# and LOAD_KILL_MODES=php,mysqld pick some of them.
# Everything started is stopped (load_cleanup, also on EXIT): the servers of emoncms_up and the
# ones kill.php restarted (RUN/load-restarted.pids), by their process ids only.

LOAD_DIR=$EG_ROOT/host-tests/load

# load_stop_php TOP: the PHP built-in server under TOP (the `timeout` process env.sh or kill.php
# started): its workers, its master, then TOP.
load_stop_php() {
  local top=$1 master workers
  [ -n "$top" ] || return 0
  for master in $(pgrep -P "$top" 2>/dev/null || true); do
    workers=$(pgrep -P "$master" 2>/dev/null || true)
    # shellcheck disable=SC2086
    kill -TERM $workers "$master" 2>/dev/null || true
  done
  kill -TERM "$top" 2>/dev/null || true
}

# load_stop_restarted RUN: the servers kill.php started again (lines "php PID" / "mysqld PID").
load_stop_restarted() {
  local file=$1/load-restarted.pids kind pid i
  [ -f "$file" ] || return 0
  while read -r kind pid; do
    case $kind in
      php) load_stop_php "$pid" ;;
      mysqld) kill -TERM "$pid" 2>/dev/null || true ;;
    esac
  done <"$file"
  while read -r kind pid; do
    for i in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done <"$file"
  rm -f "$file"
}

# load_prune_pids: EMONCMS_PIDS keeps only live children of this shell (kill.php killed some).
load_prune_pids() {
  local keep=() pid
  for pid in "${EMONCMS_PIDS[@]}"; do
    if [ -r "/proc/$pid/stat" ] && [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f2)" = "$$" ] \
      && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
      keep+=("$pid")
    fi
  done
  EMONCMS_PIDS=("${keep[@]}")
  case " ${EMONCMS_PIDS[*]} " in *" ${EMONCMS_SERVER_PID:-none} "*) ;; *) EMONCMS_SERVER_PID= ;; esac
}

load_cleanup() {
  [ -n "${EMONCMS_RUN:-}" ] && load_stop_restarted "$EMONCMS_RUN"
  load_prune_pids
  emoncms_down
}

load_tally() {
  awk '{ p += $1; f += $2 } END { printf "%d %d\n", p, f }' "$1"
}

# load_suite: the whole run for every version of EMONCMS_VERSIONS; exit status 0 when all passed.
load_suite() {
  local work version started status=0 state tally
  emoncms_packages
  build_extension
  work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-load.XXXXXX")
  # A private copy of the extension (a build elsewhere may replace the file while servers run).
  cp "$EMONGROUPS_EXT" "$work/libemongroups_php.so"
  EMONGROUPS_EXT=$work/libemongroups_php.so
  export EMONGROUPS_EXT
  # shellcheck disable=SC2064
  trap "load_cleanup; if [ '${LOAD_KEEP:-0}' = 1 ]; then echo 'kept $work' >&2; else rm -rf '$work'; fi" EXIT
  tally=$work/tally
  : >"$tally"
  SECONDS=0
  echo "load: ${LOAD_CLIENTS} clients x ${LOAD_SECONDS} s, PHP_CLI_SERVER_WORKERS=${LOAD_WORKERS}, kill cases ${LOAD_KILL:-1}"
  for version in $(emoncms_versions); do
    started=$SECONDS
    state=$work/state-$version
    mkdir -p "$state"
    export EMONCMS_REDIS_ENABLED=true
    # The built-in server forks LOAD_WORKERS workers that accept on one socket, one request each
    # at a time: with as many workers as clients every client's request runs at once.
    PHP_CLI_SERVER_WORKERS=$LOAD_WORKERS EMONGROUPS_TEST_PREPEND="$LOAD_DIR/prepend.php" EMONCMS_PORT= \
      emoncms_up "$work/a-$version" "$version"
    php host-tests/emoncms/seed.php --base="$EMONCMS_BASE" --out="$EMONCMS_RUN/seed.json" demo >/dev/null
    php "$LOAD_DIR/load.php" prepare --state="$state" --counts="$tally" || status=1
    cp -a "$EMONCMS_RUN/phpfina" "$state/phpfina"
    php "$LOAD_DIR/load.php" run --state="$state" --clients="$LOAD_CLIENTS" --seconds="$LOAD_SECONDS" --counts="$tally" || status=1
    if [ "${LOAD_KILL:-1}" = 1 ]; then
      export EMONCMS_SERVER_PID EMONCMS_MYSQL_PID
      php "$LOAD_DIR/kill.php" --state="$state" --counts="$tally" \
        ${LOAD_KILL_CASES:+--cases="$LOAD_KILL_CASES"} ${LOAD_KILL_MODES:+--modes="$LOAD_KILL_MODES"} || status=1
    fi
    load_cleanup
    # The serial replay: a second emoncms of the same version, its database the dump of the first
    # taken before the load (PHPFina files copied alongside).
    PHP_CLI_SERVER_WORKERS=2 EMONGROUPS_TEST_PREPEND="$LOAD_DIR/prepend.php" EMONCMS_PORT= \
      emoncms_up "$work/b-$version" "$version"
    emoncms_mysql <"$state/before.sql"
    cp -a "$state/phpfina/." "$EMONCMS_RUN/phpfina/"
    cp "$work/a-$version/seed.json" "$EMONCMS_RUN/seed.json"
    php "$LOAD_DIR/replay.php" --state="$state" --counts="$tally" || status=1
    load_cleanup
    echo "(emoncms $version: $((SECONDS - started)) s)"
  done
  read -r passed failed < <(load_tally "$tally")
  [ "$failed" = 0 ] || status=1
  echo "load: done in ${SECONDS}s"
  echo "load: $passed passed, $failed failed"
  return $status
}
