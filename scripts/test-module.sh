#!/usr/bin/env bash
# The emoncms group module (php-ext/module/group) tested through the demo host:
#   module/unit     its files outside HTTP (10.x/11.x differences, menus, hook, graph interface)
#   module/sqlite   every route over HTTP on SQLite
#   module/mariadb  every route over HTTP on a private MariaDB (started here on a socket, stopped after)
#   module/emoncms-<version>  inside real emoncms 11.16.8 and 10.2.7 (host-tests/emoncms/env.sh: a
#                   copy of the tree, private MariaDB, Redis and SMTP server): lists on emoncms's own
#                   feeds and inputs, getfeed against the owner's feed/data.json, mail through
#                   emoncms's mailer, fullremoveuser on each core
# Installs what it needs on Debian (as root or through sudo). Loopback and a temp dir only.
set -euo pipefail
cd "$(dirname "$0")/.."
source php-ext/demo/env.sh

ensure_packages php8.2-cli php8.2-sqlite3 php8.2-mysql php8.2-dev libclang-dev clang curl procps mariadb-server
build_extension

work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-module.XXXXXX")
SERVER_PID=
DB_PID=
cleanup() {
  stop_server "$SERVER_PID"
  if [ -n "$DB_PID" ]; then
    kill "$DB_PID" 2>/dev/null || true
    wait "$DB_PID" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo explode(":", stream_socket_get_name($s, false))[1];'
}

status=0
SECONDS=0
php -d extension="$EMONGROUPS_EXT" host-tests/module/unit.php || status=1

# run_http NAME: seeds the database the EMONGROUPS_* variables describe, starts the demo host with
# the test hooks on, and drives every route.
run_http() {
  local name=$1 port
  export EMONGROUPS_RUN="$work/$name"
  mkdir -p "$EMONGROUPS_RUN"
  seed fresh demo bulk:bulkadmin:20:20:10 >/dev/null
  port=$(free_port)
  EMONGROUPS_TEST_HOOKS=1 start_server "$port" "$EMONGROUPS_RUN/server.log"
  php host-tests/module/run.php --base="http://127.0.0.1:$port" --db="$name" || status=1
  stop_server "$SERVER_PID"
  SERVER_PID=
}

EMONGROUPS_DB=sqlite run_http sqlite

# A private MariaDB: its own datadir and socket under $work, no TCP port.
mysql_dir="$work/mariadb"
mkdir -p "$mysql_dir/data"
user_args=()
[ "$(id -u)" = 0 ] && user_args=(--user=root)
mariadb-install-db --no-defaults "${user_args[@]}" --datadir="$mysql_dir/data" \
  --auth-root-authentication-method=normal --skip-test-db >"$mysql_dir/install.log" 2>&1 \
  || { cat "$mysql_dir/install.log"; exit 1; }
mariadbd --no-defaults "${user_args[@]}" --datadir="$mysql_dir/data" --socket="$mysql_dir/sock" \
  --skip-networking --pid-file="$mysql_dir/pid" --log-error="$mysql_dir/error.log" \
  --innodb-buffer-pool-size=64M --skip-log-bin >"$mysql_dir/stdout.log" 2>&1 &
DB_PID=$!
for _ in $(seq 1 100); do
  mariadb --no-defaults -S "$mysql_dir/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.2
done
mariadb --no-defaults -S "$mysql_dir/sock" -uroot -e 'CREATE DATABASE emoncms CHARACTER SET utf8mb4' \
  || { cat "$mysql_dir/error.log"; exit 1; }

EMONGROUPS_DB=mysql EMONGROUPS_MYSQL_SOCKET="$mysql_dir/sock" EMONGROUPS_MYSQL_USER=root \
  EMONGROUPS_MYSQL_PASSWORD= EMONGROUPS_MYSQL_NAME=emoncms run_http mariadb

# Inside real emoncms, once per version (EMONCMS_VERSIONS, or the one tree EMONCMS_DIR names).
(
  source host-tests/emoncms/env.sh
  emoncms_packages python3-aiosmtpd
  trap emoncms_down EXIT
  real_status=0
  for version in $(emoncms_versions); do
    run="$work/emoncms-$version"
    mkdir -p "$run"
    emoncms_smtp_up "$run/mail"
    if emoncms_up "$run" "$version" && php host-tests/emoncms/seed.php --base="$EMONCMS_BASE" --out="$run/seed.json" demo; then
      php host-tests/module/emoncms.php --base="$EMONCMS_BASE" --seed="$run/seed.json" --run="$run" \
        --version="$EMONCMS_VERSION" --mail="$run/mail" || real_status=1
    else
      echo "module/emoncms-$version: emoncms did not come up (see $run)" >&2
      tail -n 20 "$run/server.log" "$run/log/emoncms.log" 2>/dev/null || true
      real_status=1
    fi
    emoncms_down
  done
  exit $real_status
) || status=1

echo "module: done in ${SECONDS}s"
exit $status
