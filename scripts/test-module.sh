#!/usr/bin/env bash
# The emoncms group module (php-ext/module/group) tested inside real emoncms:
#   module/unit               its files outside HTTP (10.x/11.x differences, menus, page texts, guards)
#   module/emoncms-11.16.8    every route over HTTP inside emoncms 11.16.8, MariaDB, Redis, a real SMTP server
#   module/emoncms-10.2.7     the same inside emoncms 10.2.7 (no mailer: its clear failure is asserted)
#   module/emoncms-11.16.8-noredis   11.16.8 with [redis] enabled = false
#   security/emoncms-…        per run, the checks of the security review (forged requests, one's own
#                             account, log-back, odd rows, redaction, races, faults and crashes
#                             mid-change, groups too large for one state) counted apart
# Each run: host-tests/emoncms/env.sh brings a copy of the tree up on 127.0.0.1 (schema through
# emoncms's updater), seed.php demo fills it through emoncms's own APIs, run.php drives it, and
# everything started is stopped. EMONCMS_VERSIONS="10.2.7" runs one version only.
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh

emoncms_packages python3-aiosmtpd
build_extension

work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-module.XXXXXX")
SMTP_PID=
cleanup() {
  emoncms_down
  if [ -n "$SMTP_PID" ]; then
    kill "$SMTP_PID" 2>/dev/null || true
    wait "$SMTP_PID" 2>/dev/null || true
  fi
  [ "${EMONGROUPS_KEEP:-0}" = 1 ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# A private copy of the extension: a build elsewhere sharing CARGO_TARGET_DIR may replace the file
# while the servers run.
cp "$EMONGROUPS_EXT" "$work/libemongroups_php.so"
EMONGROUPS_EXT=$work/libemongroups_php.so
export EMONGROUPS_EXT

status=0
SECONDS=0
php -d extension="$EMONGROUPS_EXT" host-tests/module/unit.php || status=1

# A run is VERSION or VERSION:noredis ([redis] enabled = false: the models' MySQL paths).
for spec in ${EMONCMS_VERSIONS:-11.16.8 10.2.7 11.16.8:noredis}; do
  version=${spec%%:*}
  suffix=
  export EMONCMS_REDIS_ENABLED=true
  if [ "$spec" != "$version" ]; then suffix=-${spec#*:}; EMONCMS_REDIS_ENABLED=false; fi
  started=$SECONDS
  run=$work/${spec/:/-}
  mail=$run-mail
  mkdir -p "$mail"
  # A real SMTP server on 127.0.0.1 for 11.x's Lib/email.php ([smtp] port in settings.ini).
  EMONCMS_SMTP_PORT=$(free_port)
  /usr/bin/python3 host-tests/module/smtp_sink.py "$EMONCMS_SMTP_PORT" "$mail" >"$work/smtp-${spec/:/-}.log" 2>&1 &
  SMTP_PID=$!
  export EMONCMS_SMTP_PORT
  EMONGROUPS_TEST_PREPEND="$PWD/host-tests/emoncms/probe.php" emoncms_up "$run" "$version"
  php host-tests/emoncms/seed.php --base="$EMONCMS_BASE" --out="$EMONCMS_RUN/seed.json" demo >/dev/null
  php host-tests/module/run.php --name="emoncms-$EMONCMS_VERSION$suffix" --mail="$mail" || {
    status=1
    echo "emoncms log: $(tail -n 20 "$EMONCMS_RUN/log/emoncms.log" 2>/dev/null)" >&2
  }
  emoncms_down
  kill "$SMTP_PID" 2>/dev/null || true
  wait "$SMTP_PID" 2>/dev/null || true
  SMTP_PID=
  echo "(emoncms $spec: $((SECONDS - started)) s)"
done

# The benchmark's short version (scripts/bench-module.sh at 2 groups × 3 members × 2 feeds, targets
# not enforced at this size): its seeding through emoncms's models and its answer checks (getfeed
# equals the owner's feed/data.json, the lists give every member with their feeds) keep working.
env EMONCMS_VERSION= EMONCMS_REDIS_ENABLED=true BENCH_GROUPS=2 BENCH_MEMBERS=3 BENCH_FEEDS=2 BENCH_ROUNDS=3 \
  BENCH_WARMUP=1 BENCH_NO_TARGETS=1 bash scripts/bench-module.sh | grep -E '^(FAIL|bench/emoncms-)' || status=1

echo "module: done in ${SECONDS}s"
exit $status
