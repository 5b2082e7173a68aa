#!/usr/bin/env bash
# The demo: the emoncms group module running on the emongroups engine, in a standalone
# emoncms-like host (php-ext/demo/) with an embedded SQLite database under demo/run/.
# On a fresh Debian with Rust it installs PHP and what building the extension needs.
#   PORT=8080 (default)   KEEP=1 keeps the existing database instead of re-seeding it
set -euo pipefail
cd "$(dirname "$0")/.."
source php-ext/demo/env.sh

ensure_packages php8.2-cli php8.2-sqlite3 php8.2-dev libclang-dev clang curl
build_extension
# The group page's access preview and the playground load the engine from Modules/group/lib/.
bash scripts/group-wasm.sh || echo "demo: no WebAssembly engine; the page runs without its access preview" >&2

export EMONGROUPS_RUN=${EMONGROUPS_RUN:-$PWD/demo/run}
export EMONGROUPS_DB=sqlite
mkdir -p "$EMONGROUPS_RUN"
if [ "${KEEP:-0}" != 1 ] || [ ! -f "$EMONGROUPS_RUN/demo.sqlite" ]; then
  seed fresh demo
fi
port=${PORT:-8080}

cat <<TEXT

emongroups demo — http://127.0.0.1:$port/
  database: $EMONGROUPS_RUN/demo.sqlite   mails: $EMONGROUPS_RUN/mail.log

  login (user / password)   what they see
  installer / installer     administrator of HeatPumpInstalls: 40 heat-pump sites (site01 … site40)
  technician / technician   sub-administrator of HeatPumpInstalls (feeds, no e-mails or accounts)
  researcher / researcher   administrator of HeatPumpStudy (12 sites, read-only rights)
  organiser / organiser     administrator of SolarVillage (6 households)
  observer / observer       observer of SolarVillage (member count and aggregates only)
  site01 / site01 …         a passive member (sees no group)
  admin / admin             site administrator (in no group)

  playground (the engine in your browser, any profile): http://127.0.0.1:$port/playground/index.html
  try: http://127.0.0.1:$port/group/userlist.json?groupid=1   (as installer)
       http://127.0.0.1:$port/group/setuser?groupid=1&userid=7 (log in as site01; back via the menu)
Ctrl-C stops the server.
TEXT
exec env PHP_CLI_SERVER_WORKERS=2 php -d extension="$EMONGROUPS_EXT" -S "127.0.0.1:$port" -t php-ext/demo php-ext/demo/router.php
