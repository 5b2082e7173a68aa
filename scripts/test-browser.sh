#!/usr/bin/env bash
# The group page, its access preview and the playground in real headless Chromium
# (host-tests/browser/, node's test runner + playwright-core driving Debian's chromium).
# Starts the demo host itself on a free 127.0.0.1 port with a fresh SQLite database, and stops it.
# Installs what it needs on Debian (chromium, PHP, the extension's build deps, the npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."
source php-ext/demo/env.sh

ensure_packages chromium fonts-dejavu-core php8.2-cli php8.2-sqlite3 php8.2-dev libclang-dev clang curl
command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
build_extension
bash scripts/group-wasm.sh

if [ ! -d host-tests/browser/node_modules/playwright-core ]; then
  (cd host-tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-browser.XXXXXX")
SERVER_PID=
cleanup() {
  stop_server "$SERVER_PID"
  rm -rf "$work"
}
trap cleanup EXIT

port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo explode(":", stream_socket_get_name($s, false))[1];')
export EMONGROUPS_RUN="$work/run" EMONGROUPS_DB=sqlite
mkdir -p "$EMONGROUPS_RUN" host-tests/out
seed fresh demo >/dev/null
PHP_CLI_SERVER_WORKERS=2 EMONGROUPS_SERVER_LIFETIME=900 start_server "$port" "$EMONGROUPS_RUN/server.log"

SECONDS=0
status=0
EMONGROUPS_BASE="http://127.0.0.1:$port/" EMONGROUPS_SEED="$EMONGROUPS_RUN/seed.json" \
  node --test --test-concurrency=1 host-tests/browser/*.test.mjs || status=1
if [ "$status" != 0 ]; then
  echo "--- demo host log (last 40 lines) ---"
  tail -n 40 "$EMONGROUPS_RUN/server.log" || true
fi
stop_server "$SERVER_PID"
SERVER_PID=

# Inside real emoncms, once per version: the menu, the way back and hidden buttons as a person
# sees them in emoncms's own theme (host-tests/browser/real/).
(
  source host-tests/emoncms/env.sh
  emoncms_packages
  trap emoncms_down EXIT
  real_status=0
  for version in $(emoncms_versions); do
    run="$work/emoncms-$version"
    if emoncms_up "$run" "$version" && php host-tests/emoncms/seed.php --base="$EMONCMS_BASE" --out="$run/seed.json" demo; then
      out=$(EMONGROUPS_BASE="$EMONCMS_BASE" EMONGROUPS_SEED="$run/seed.json" EMONCMS_VERSION="$EMONCMS_VERSION" \
        node --test --test-concurrency=1 --test-reporter=tap host-tests/browser/real/*.test.mjs host-tests/browser/playground.test.mjs 2>&1)
      code=$?
      echo "$out" | grep -E "^not ok|^# (pass|fail)|^ +(error|expected|actual|message):" || true
      pass=$(echo "$out" | sed -n 's/^# pass //p' | tail -n1)
      fail=$(echo "$out" | sed -n 's/^# fail //p' | tail -n1)
      echo "browser/emoncms-$EMONCMS_VERSION: ${pass:-0} passed, ${fail:-1} failed"
      [ "$code" = 0 ] && [ "${fail:-1}" = 0 ] && [ "${pass:-0}" != 0 ] || { real_status=1; echo "$out" | tail -n 60; }
    else
      echo "browser/emoncms-$version: emoncms did not come up (see $run)" >&2
      real_status=1
    fi
    emoncms_down
  done
  exit $real_status
) || status=1
echo "browser: done in ${SECONDS}s (screenshots in host-tests/out/)"
exit $status
