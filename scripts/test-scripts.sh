#!/usr/bin/env bash
# The scripts themselves: every apt-get call waits for the dpkg lock (another install may be
# running on the machine, and apt-get without the option fails at once), and every script parses.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
check() {
  if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
files=$(git ls-files '*.sh' dev.sh .ci/run | sort -u)
for f in $files; do
  check "$f parses" "bash -n '$f'"
  bad=$(grep -nE 'apt-get [^|;]*(update|install)' "$f" | grep -v 'Lock::Timeout' | grep -v '^\s*[0-9]*:\s*#' || true)
  check "$f: every apt-get waits for the dpkg lock${bad:+ ($bad)}" "[ -z \"\$bad\" ]"
done
echo "scripts: $passed passed, $failed failed"
[ "$failed" = 0 ]
