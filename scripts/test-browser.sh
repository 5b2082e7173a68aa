#!/usr/bin/env bash
# The group page, its access preview and the demo's playground in real headless Chromium
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
echo "browser: done in ${SECONDS}s (screenshots in host-tests/out/)"
exit $status
