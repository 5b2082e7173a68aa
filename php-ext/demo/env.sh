# Sourced by scripts/test-module.sh, test-browser.sh and bench-module.sh: installs what
# the SQLite/MariaDB imitation host (php-ext/demo, being retired for real emoncms) needs on Debian (as root or through sudo), builds the PHP extension, and starts or
# stops PHP's built-in server on 127.0.0.1. Quick when everything is already there.

# as_root, ensure_packages (waiting for the dpkg lock) and build_extension are the real-emoncms
# harness's own.
source "$(dirname "${BASH_SOURCE[0]}")/../../host-tests/emoncms/env.sh"

# seed STEP…: (re)creates the demo database in $EMONGROUPS_RUN (see php-ext/demo/seed.php).
seed() {
  php -d extension="$EMONGROUPS_EXT" php-ext/demo/seed.php "$@"
}

# start_server PORT LOG: the demo host in the background; sets SERVER_PID. `timeout` makes the
# server the leader of its own process group (with its workers) and bounds its life, so a test run
# that is killed outright leaves nothing behind for long.
start_server() {
  local port=$1 log=$2
  PHP_CLI_SERVER_WORKERS=${PHP_CLI_SERVER_WORKERS:-4} timeout "${EMONGROUPS_SERVER_LIFETIME:-1800}" \
    php -d extension="$EMONGROUPS_EXT" \
    -S "127.0.0.1:$port" -t php-ext/demo php-ext/demo/router.php >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/user/login"; then return 0; fi
    sleep 0.1
  done
  echo "the demo host did not start on port $port (see $log)" >&2
  return 1
}

# stop_server PID: stops a server started above: its workers first (so that the server reaps
# them), then the server, then `timeout`.
stop_server() {
  local pid=$1 master
  [ -n "$pid" ] || return 0
  master=$(pgrep -P "$pid" || true)
  if [ -n "$master" ]; then
    pkill -TERM -P "$master" 2>/dev/null || true
    sleep 0.3
    kill -TERM "$master" 2>/dev/null || true
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
