#!/usr/bin/env bash
# The group page, its access preview and the playground in real headless Chromium
# (host-tests/browser/, node's test runner + playwright-core driving Debian's chromium), inside
# real emoncms once per version (emoncms_versions: 11.16.8 and 10.2.7, or EMONCMS_DIR): a fresh
# emoncms with its own MariaDB and Redis (host-tests/emoncms/env.sh), seeded with the demo story
# through emoncms's HTTP APIs (host-tests/emoncms/seed.php), then every browser test file.
# reasons.test.mjs compares two files of this repository and needs no emoncms: it runs once.
# Each run ends with one line `browser/<name>: N passed, M failed`; failing tests are listed above
# it with their assertion messages, and the whole run is in host-tests/out/browser-<name>.log.
# Installs what it needs on Debian (chromium, MariaDB, Redis, PHP, the extension's build deps, the
# npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."
source host-tests/emoncms/env.sh

emoncms_packages chromium fonts-dejavu-core
command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
build_extension
bash scripts/group-wasm.sh

if [ ! -d host-tests/browser/node_modules/playwright-core ]; then
  (cd host-tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-browser.XXXXXX")
trap 'emoncms_down; rm -rf "$work"' EXIT
mkdir -p host-tests/out
out=$(cd host-tests/out && pwd)

# browser_tests NAME FILE…: one node:test run, one closing line (summary-reporter.mjs); the spec
# reporter's full account goes to host-tests/out/browser-NAME.log.
browser_tests() {
  local name=$1 code=0
  shift
  EMONGROUPS_LABEL=$name node --test --test-concurrency=1 \
    --test-reporter=./host-tests/browser/summary-reporter.mjs --test-reporter-destination=stdout \
    --test-reporter=spec --test-reporter-destination="$out/browser-$name.log" "$@" || code=$?
  [ "$code" = 0 ] || echo "(browser/$name: the whole run is in host-tests/out/browser-$name.log)"
  return "$code"
}

SECONDS=0
status=0
browser_tests reasons host-tests/browser/reasons.test.mjs || status=1

# Every other test file, in this order: the group page's own files, the playground, then real/.
# The files that change groups undo their changes (group-page.test.mjs works on groups of its own).
files=()
for f in host-tests/browser/*.test.mjs host-tests/browser/real/*.test.mjs; do
  [ "$f" = host-tests/browser/reasons.test.mjs ] || files+=("$f")
done

for version in $(emoncms_versions); do
  run="$work/emoncms-$version"
  if emoncms_up "$run" "$version" \
    && php host-tests/emoncms/seed.php --base="$EMONCMS_BASE" --out="$run/seed.json" demo >"$run/seed.log" 2>&1; then
    EMONGROUPS_BASE="$EMONCMS_BASE" EMONGROUPS_SEED="$run/seed.json" EMONCMS_VERSION="$EMONCMS_VERSION" \
      browser_tests "emoncms-$EMONCMS_VERSION" "${files[@]}" || {
        status=1
        echo "--- emoncms $EMONCMS_VERSION: PHP's messages in its server log (last 20) ---"
        grep -E "PHP |Fatal|Warning|Notice|Deprecated" "$run/server.log" | tail -n 20 || true
      }
  else
    echo "--- emoncms $version: its setup or seed.php failed (last lines of seed.log) ---"
    tail -n 20 "$run/seed.log" 2>/dev/null || true
    echo "browser/emoncms-$version: 0 passed, 1 failed (emoncms did not come up or could not be seeded; see above)"
    status=1
  fi
  emoncms_down
done
echo "browser: done in ${SECONDS}s (screenshots and logs in host-tests/out/)"
exit $status
