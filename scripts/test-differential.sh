#!/usr/bin/env bash
# The differential test: one scripted scenario (host-tests/differential/scenario.php) against group
# 2.0.0 and against this project's module, each inside a fresh copy of real emoncms with its own
# MariaDB and Redis, seeded identically; compare.php compares the two records step by step and
# accepts only the differences listed in core/COMPATIBILITY.md ("Differences measured against
# 2.0.0 on real emoncms"), failing on any unlisted difference and on any listed one that no longer
# occurs.
#
#   scripts/test-differential.sh [VERSION…]     (default: 11.16.8 10.2.7)
#
# Records and logs stay in ${DIFF_RUN:-/tmp/emongroups-differential}/<version>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# shellcheck source=../host-tests/emoncms/env.sh
source host-tests/emoncms/env.sh
trap emoncms_down EXIT

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(11.16.8 10.2.7)
RUN=${DIFF_RUN:-/tmp/emongroups-differential}

emoncms_packages
build_extension

# The App module too, as on a typical install: 10.2.7's delete_user() queries its app_config
# table and throws when it is missing (shared/emoncms/README.md), which would hide what
# fullremoveuser does on both sides.
export EMONCMS_EXTRA_MODULES=${EMONCMS_EXTRA_MODULES-app}

# 10.2.7's delete_user() also reads a fixed list of other modules' tables (dashboard, graph, …;
# Modules/user/deleteuser.php) that a standard install has and this tree does not: the ones
# missing are created empty, in both runs alike, so that fullremoveuser can reach its answer.
emoncms_module_tables() {
  local t
  for t in app_config autoconfig dashboard emailreport graph multigraph myip node statico rememberme; do
    emoncms_mysql emoncms -e "CREATE TABLE IF NOT EXISTS \`$t\` (userid int(11))"
  done
}

status=0
for version in "${versions[@]}"; do
  dir=$RUN/$version
  rm -rf "$dir"
  mkdir -p "$dir"
  started=$(date +%s)

  # group 2.0.0: copied in (as an operator installs it), no extension needed.
  unset EMONCMS_PORT
  EMONCMS_GROUP_MODULE=$EG_SHARED/emoncms/modules/group-2.0.0 EMONCMS_GROUP_COPY=1 EMONGROUPS_EXT= \
    emoncms_up "$dir/2.0.0" "$version"
  emoncms_module_tables
  php host-tests/differential/scenario.php --base="$EMONCMS_BASE" --out="$dir/2.0.0.json"
  emoncms_down

  # this project's module and extension.
  unset EMONCMS_PORT
  emoncms_up "$dir/ours" "$version"
  emoncms_module_tables
  php host-tests/differential/scenario.php --base="$EMONCMS_BASE" --out="$dir/ours.json"
  emoncms_down

  php host-tests/differential/compare.php --version="$version" --allow=core/COMPATIBILITY.md \
    "$dir/2.0.0.json" "$dir/ours.json" || status=1
  echo "($version: $(($(date +%s) - started)) s)" >&2
done
exit $status
