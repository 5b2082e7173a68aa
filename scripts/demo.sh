#!/usr/bin/env bash
# The demo: real emoncms (11.16.8 from ../shared/emoncms, or EMONCMS_DIR, or a clone of emoncms at
# EMONCMS_VERSION) with this group module and the emongroups extension installed as an operator
# installs them, its own MariaDB, Redis and SMTP server under demo/run/, and the seeded story.
# On a fresh Debian with Rust it installs what it needs (as root or through sudo).
#   PORT=8080 (default)   EMONCMS_VERSION=11.16.8 (default; 10.2.7 also works)
# Ctrl-C stops every server it started; the next run starts from a fresh database.
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh

emoncms_packages python3-aiosmtpd
build_extension
# The group page's access preview and the playground load the engine from Modules/group/lib/.
bash scripts/group-wasm.sh || echo "demo: no WebAssembly engine; the page runs without its access preview" >&2

run=${EMONGROUPS_RUN:-$PWD/demo/run}
version=${EMONCMS_VERSION:-11.16.8}
mkdir -p "$run"
rm -rf "$run/mail"
trap emoncms_down EXIT
trap 'exit 130' INT TERM
emoncms_smtp_up "$run/mail"
EMONCMS_PORT=${PORT:-8080} EMONCMS_SERVER_LIFETIME=${EMONCMS_SERVER_LIFETIME:-604800} emoncms_up "$run" "$version"
echo "seeding the demo story through emoncms's APIs…"
php host-tests/emoncms/seed.php --base="$EMONCMS_BASE" --out="$run/seed.json" demo

base=$EMONCMS_BASE
installs=$(php -r 'echo json_decode(file_get_contents($argv[1]), true)["demo"]["groups"]["installs"];' "$run/seed.json")
site01=$(php -r 'echo json_decode(file_get_contents($argv[1]), true)["demo"]["sites"]["site01"]["id"];' "$run/seed.json")
cat <<TEXT

emongroups demo — emoncms $EMONCMS_VERSION with the group module: $base
  emoncms tree: $EMONCMS_WWW   log: $run/log/emoncms.log
  MariaDB: 127.0.0.1:$EMONCMS_MYSQL_PORT (emoncms / emoncms)   Redis: 127.0.0.1:$EMONCMS_REDIS_PORT
  mail sent by emoncms arrives at the SMTP server on 127.0.0.1:$EMONCMS_SMTP_PORT: $run/mail/<n>.eml

  login (user / password)   what they see
  installer / installer     administrator of HeatPumpInstalls: 40 heat-pump sites (site01 … site40)
  technician / technician   sub-administrator of HeatPumpInstalls (feeds, no e-mails or accounts)
  researcher / researcher   administrator of HeatPumpStudy (12 sites, read-only rights)
  organiser / organiser     administrator of SolarVillage (6 households)
  observer / observer       observer of SolarVillage (member count and aggregates only)
  site01 / site01 …         a passive member (sees no group)
  admin / admin             site administrator (in no group)

  the group page: ${base}group   (Setup → Groups in the menu)
  playground (the engine in your browser, any profile): ${base}Modules/group/playground/index.html
  try: ${base}group/userlist.json?groupid=$installs   (as installer)
       ${base}group/setuser?groupid=$installs&userid=$site01 (log in as site01; back via the menu)
Ctrl-C stops the servers.
TEXT
wait "$EMONCMS_SERVER_PID"
