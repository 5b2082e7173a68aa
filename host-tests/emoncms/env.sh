# Sourced by the scripts that run the group module inside real emoncms (tests, benchmarks, demo).
#
#   emoncms_up RUN VERSION     a copy of emoncms VERSION (11.16.8, 10.2.7, or EMONCMS_DIR) in RUN/www,
#                              the module and the extension installed as php-ext/module/README.md
#                              tells an operator, a private MariaDB and Redis on 127.0.0.1, the
#                              schema through emoncms's own updater, PHP's built-in server.
#                              Sets EMONCMS_BASE, EMONCMS_WWW, EMONCMS_VERSION, EMONCMS_MYSQL_*.
#   emoncms_down               stops what emoncms_up started (also on EXIT through the caller's trap).
#
# Options (environment): EMONCMS_DIR=/path/to/emoncms (any checkout instead of ../shared/emoncms),
# EMONCMS_GROUP_MODULE=/path (the module to install; default php-ext/module/group),
# EMONCMS_EXTRA_MODULES="app" (modules from ../shared/emoncms/modules to install too),
# EMONGROUPS_TEST_PREPEND=/file.php (tests only: run before index.php), EMONCMS_PORT,
# EMONCMS_OPCACHE=1 (PHP's opcode cache on, as production servers have it).
# Loopback and RUN only; every server started here is stopped by emoncms_down.

EG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EG_SHARED=${EG_SHARED:-$(cd "$EG_ROOT/.." && pwd)/shared}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

eg_apt_updated=
# ensure_packages PKG…: installs the Debian packages that are missing (waits for the dpkg lock).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  if [ -z "$eg_apt_updated" ]; then
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
    eg_apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
}

# What both emoncms trees need on Debian 12 (shared/emoncms/README.md), and the extension's build.
emoncms_packages() {
  ensure_packages mariadb-server redis-server php8.2-cli php8.2-mysql php8.2-redis php8.2-curl \
    php8.2-mbstring php8.2-gd php8.2-xml php8.2-intl php8.2-dev gettext libclang-dev clang curl procps "$@"
}

# build_extension: the release build of the extension; sets EMONGROUPS_EXT to the .so.
build_extension() {
  (cd "$EG_ROOT" && cargo build --release --locked -p emongroups-php >&2)
  local target_dir=${CARGO_TARGET_DIR:-$EG_ROOT/target}
  EMONGROUPS_EXT=$(cd "$target_dir/release" && pwd)/libemongroups_php.so
  [ -f "$EMONGROUPS_EXT" ] || { echo "no extension at $EMONGROUPS_EXT" >&2; return 1; }
  php -d extension="$EMONGROUPS_EXT" -r 'exit(function_exists("EmonGroups\\call") ? 0 : 1);' \
    || { echo "PHP cannot load $EMONGROUPS_EXT" >&2; return 1; }
  export EMONGROUPS_EXT
}

free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo explode(":", stream_socket_get_name($s, false))[1];'
}

# emoncms_source VERSION: the pristine tree to copy. EMONCMS_DIR wins; then ../shared/emoncms;
# then a clone of emoncms at that tag (what an operator with internet access gets).
emoncms_source() {
  local version=$1
  if [ -n "${EMONCMS_DIR:-}" ]; then
    echo "$EMONCMS_DIR"
  elif [ -d "$EG_SHARED/emoncms/$version" ]; then
    echo "$EG_SHARED/emoncms/$version"
  else
    local cache=${XDG_CACHE_HOME:-$HOME/.cache}/emongroups/emoncms-$version
    if [ ! -f "$cache/index.php" ]; then
      echo "cloning emoncms $version into $cache" >&2
      rm -rf "$cache"
      git clone -q --depth 1 --branch "$version" https://github.com/emoncms/emoncms.git "$cache" >&2 || return 1
    fi
    echo "$cache"
  fi
}

# The version a tree says it is (11.x: version.json, 10.x: version.txt).
emoncms_tree_version() {
  local tree=$1
  if [ -f "$tree/version.json" ]; then
    php -r 'echo json_decode(file_get_contents($argv[1]), true)["version"];' "$tree/version.json"
  elif [ -f "$tree/version.txt" ]; then
    tr -d ' \n' <"$tree/version.txt"
  else
    echo unknown
  fi
}

# emoncms_versions: the versions a suite runs on, one per line. EMONCMS_VERSIONS="11.16.8 10.2.7"
# by default; with EMONCMS_DIR, only that tree (its version is read from it).
emoncms_versions() {
  if [ -n "${EMONCMS_VERSIONS:-}" ]; then
    printf '%s\n' $EMONCMS_VERSIONS
  elif [ -n "${EMONCMS_DIR:-}" ]; then
    emoncms_tree_version "$EMONCMS_DIR"; echo
  else
    printf '%s\n' 11.16.8 10.2.7
  fi
}

EMONCMS_PIDS=()

emoncms_mysql() {
  mariadb --no-defaults -S "$EMONCMS_RUN/mariadb/sock" -uroot "$@"
}

emoncms_up() {
  local run=$1 version=$2 src www
  src=$(emoncms_source "$version") || { echo "no emoncms tree for $version" >&2; return 1; }
  mkdir -p "$run"
  EMONCMS_RUN=$(cd "$run" && pwd)
  www=$EMONCMS_RUN/www
  rm -rf "$www"
  mkdir -p "$www" "$EMONCMS_RUN/log" "$EMONCMS_RUN/phpfina" "$EMONCMS_RUN/phptimeseries" "$EMONCMS_RUN/conf.d"
  # The tree is copied: shared/ is read-only and emoncms writes nothing into it anyway.
  (cd "$src" && tar --exclude=.git -cf - .) | (cd "$www" && tar -xf -)
  EMONCMS_VERSION=$(emoncms_tree_version "$www")
  EMONCMS_WWW=$www

  # The module, as the README tells an operator: a link named group in Modules/.
  rm -rf "$www/Modules/group"
  local module=${EMONCMS_GROUP_MODULE:-$EG_ROOT/php-ext/module/group}
  if [ "${EMONCMS_GROUP_COPY:-0}" = 1 ]; then cp -a "$module" "$www/Modules/group"; else ln -s "$module" "$www/Modules/group"; fi
  local extra
  for extra in ${EMONCMS_EXTRA_MODULES:-}; do
    local dir
    dir=$(ls -d "$EG_SHARED/emoncms/modules/$extra"-* 2>/dev/null | head -n1)
    [ -n "$dir" ] || { echo "no module $extra in $EG_SHARED/emoncms/modules" >&2; return 1; }
    cp -a "$dir" "$www/Modules/$extra"
  done
  # The extension, as conf.d tells PHP to load it (PHP_INI_SCAN_DIR adds this directory).
  if [ -n "${EMONGROUPS_EXT:-}" ]; then
    echo "extension=$EMONGROUPS_EXT" >"$EMONCMS_RUN/conf.d/50-emongroups.ini"
  fi
  # EMONCMS_OPCACHE=1: PHP's opcode cache, as Apache's mod_php and php-fpm have it by default
  # (the CLI server needs enable_cli). Files changed less than 2 s before are not cached
  # (opcache.file_update_protection), so a just-copied tree caches from its second request on.
  if [ "${EMONCMS_OPCACHE:-0}" = 1 ]; then
    printf 'opcache.enable=1\nopcache.enable_cli=1\n' >"$EMONCMS_RUN/conf.d/10-opcache.ini"
  fi

  # MariaDB: its own datadir, a socket, and a TCP port on 127.0.0.1 for emoncms.
  local db=$EMONCMS_RUN/mariadb user_args=()
  [ "$(id -u)" = 0 ] && user_args=(--user=root)
  rm -rf "$db"
  mkdir -p "$db/data"
  mariadb-install-db --no-defaults "${user_args[@]}" --datadir="$db/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$db/install.log" 2>&1 \
    || { cat "$db/install.log" >&2; return 1; }
  EMONCMS_MYSQL_PORT=$(free_port)
  mariadbd --no-defaults "${user_args[@]}" --datadir="$db/data" --socket="$db/sock" \
    --port="$EMONCMS_MYSQL_PORT" --bind-address=127.0.0.1 --pid-file="$db/pid" \
    --log-error="$db/error.log" --innodb-buffer-pool-size=128M --skip-log-bin \
    --max-connections=300 >"$db/stdout.log" 2>&1 &
  EMONCMS_PIDS+=($!)
  EMONCMS_MYSQL_PID=$!
  local i
  for i in $(seq 1 150); do
    emoncms_mysql -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.2
  done
  emoncms_mysql -e "CREATE DATABASE emoncms CHARACTER SET utf8;
    CREATE USER 'emoncms'@'127.0.0.1' IDENTIFIED BY 'emoncms';
    CREATE USER 'emoncms'@'localhost' IDENTIFIED BY 'emoncms';
    GRANT ALL ON emoncms.* TO 'emoncms'@'127.0.0.1';
    GRANT ALL ON emoncms.* TO 'emoncms'@'localhost';" || { cat "$db/error.log" >&2; return 1; }
  EMONCMS_MYSQL_SOCKET=$db/sock

  # Redis: no persistence, loopback only.
  EMONCMS_REDIS_PORT=$(free_port)
  redis-server --port "$EMONCMS_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$EMONCMS_RUN" --logfile "$EMONCMS_RUN/redis.log" >/dev/null 2>&1 &
  EMONCMS_PIDS+=($!)
  for i in $(seq 1 100); do
    redis-cli -p "$EMONCMS_REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done

  EMONCMS_SMTP_PORT=${EMONCMS_SMTP_PORT:-0}
  emoncms_settings >"$www/settings.ini"

  # The schema through emoncms's own updater (twice: the second run must find nothing to do).
  emoncms_dbupdate >"$EMONCMS_RUN/dbupdate.log" || { cat "$EMONCMS_RUN/dbupdate.log" >&2; return 1; }
  emoncms_dbupdate >"$EMONCMS_RUN/dbupdate2.log" || return 1

  EMONCMS_PORT=${EMONCMS_PORT:-$(free_port)}
  local prepend=()
  [ -n "${EMONGROUPS_TEST_PREPEND:-}" ] && prepend=(EMONGROUPS_TEST_PREPEND="$EMONGROUPS_TEST_PREPEND")
  env PHP_INI_SCAN_DIR=":$EMONCMS_RUN/conf.d" PHP_CLI_SERVER_WORKERS="${PHP_CLI_SERVER_WORKERS:-4}" "${prepend[@]}" \
    timeout "${EMONCMS_SERVER_LIFETIME:-2700}" php -S "127.0.0.1:$EMONCMS_PORT" -t "$www" \
    "$EG_ROOT/host-tests/emoncms/router.php" >"$EMONCMS_RUN/server.log" 2>&1 &
  EMONCMS_SERVER_PID=$!
  EMONCMS_PIDS+=($!)
  EMONCMS_BASE="http://127.0.0.1:$EMONCMS_PORT/"
  for i in $(seq 1 100); do
    curl -s -o /dev/null "${EMONCMS_BASE}user/login" && break
    sleep 0.1
  done
  export EMONCMS_BASE EMONCMS_WWW EMONCMS_RUN EMONCMS_VERSION EMONCMS_MYSQL_PORT EMONCMS_MYSQL_SOCKET EMONCMS_REDIS_PORT
  export EMONCMS_MYSQL_USER=emoncms EMONCMS_MYSQL_PASSWORD=emoncms EMONCMS_MYSQL_DATABASE=emoncms
}

# emoncms's settings.ini for this run: the keys of default-settings.ini that differ.
emoncms_settings() {
  cat <<INI
display_errors = false
[sql]
server = "127.0.0.1"
port = $EMONCMS_MYSQL_PORT
database = "emoncms"
username = "emoncms"
password = "emoncms"
dbtest = false
[redis]
enabled = ${EMONCMS_REDIS_ENABLED:-true}
host = "127.0.0.1"
port = $EMONCMS_REDIS_PORT
prefix = ""
[feed]
phpfina[datadir] = "$EMONCMS_RUN/phpfina/"
phptimeseries[datadir] = "$EMONCMS_RUN/phptimeseries/"
[interface]
enable_multi_user = true
INI
  # The key exists from 11.11 on; on 10.2.7 it is unknown and gives a PHP warning.
  case "$EMONCMS_VERSION" in 10.*) ;; *) echo "disable_rate_limiting = true" ;; esac
  cat <<INI
[log]
location = "$EMONCMS_RUN/log"
level = 1
[smtp]
host = "127.0.0.1"
port = "$EMONCMS_SMTP_PORT"
from_email = "emoncms@example.org"
from_name = "emoncms"
INI
}

# emoncms's updater: 11.x has `scripts/emoncms-cli admin:dbupdate`; 10.2.7 has only Admin →
# Update database, whose code (db_schema_setup over load_db_schema) runs here the same way.
emoncms_dbupdate() {
  if [ -f "$EMONCMS_WWW/scripts/emoncms-cli" ]; then
    (cd "$EMONCMS_WWW" && env PHP_INI_SCAN_DIR=":$EMONCMS_RUN/conf.d" php scripts/emoncms-cli admin:dbupdate)
  else
    (cd "$EMONCMS_WWW" && env PHP_INI_SCAN_DIR=":$EMONCMS_RUN/conf.d" php "$EG_ROOT/host-tests/emoncms/dbupdate.php")
  fi
}

# emoncms_php FILE ARGS…: a PHP CLI script with the run's PHP settings (the extension loaded).
emoncms_php() {
  env PHP_INI_SCAN_DIR=":$EMONCMS_RUN/conf.d" php "$@"
}

# emoncms_smtp_up DIR: a real SMTP server on 127.0.0.1 (aiosmtpd, smtp-sink.py) keeping each
# message as DIR/<n>.eml; sets EMONCMS_SMTP_PORT for the next emoncms_up. Stopped by emoncms_down.
emoncms_smtp_up() {
  local dir=$1 i
  ensure_packages python3-aiosmtpd
  mkdir -p "$dir"
  EMONCMS_SMTP_PORT=$(free_port)
  # Debian's python3 (/usr/bin), which has python3-aiosmtpd, whatever python3 comes first on PATH.
  /usr/bin/python3 "$EG_ROOT/host-tests/emoncms/smtp-sink.py" "$EMONCMS_SMTP_PORT" "$dir" >"$dir/../smtp.log" 2>&1 &
  EMONCMS_PIDS+=($!)
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$EMONCMS_SMTP_PORT") 2>/dev/null && break
    sleep 0.1
  done
  export EMONCMS_SMTP_PORT
}

emoncms_down() {
  local pid master
  if [ -n "${EMONCMS_SERVER_PID:-}" ]; then
    master=$(pgrep -P "$EMONCMS_SERVER_PID" || true)
    if [ -n "$master" ]; then
      pkill -TERM -P "$master" 2>/dev/null || true
      kill -TERM "$master" 2>/dev/null || true
    fi
  fi
  for pid in "${EMONCMS_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${EMONCMS_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  EMONCMS_PIDS=()
  EMONCMS_SERVER_PID=
}
