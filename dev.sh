#!/usr/bin/env bash
# emongroups developer entry point.
#   ./dev.sh demo    run the demo: real emoncms 11.16.8 with the module, its own MariaDB and Redis
#   ./dev.sh test    run every test: core, fuzzing (short), vectors on every door, properties, module (+ security), load and crashes, browser, differential
#                    (the last three inside real emoncms 11.16.8 and 10.2.7)
#   ./dev.sh bench   run the benchmarks (see README)
# Each step lives in scripts/; a step installs what it needs itself (Debian, as root or via sudo).
set -euo pipefail
cd "$(dirname "$0")"

run_steps() {
  local kind=$1; shift
  local status=0
  for step in "$@"; do
    if [ -f "scripts/$kind-$step.sh" ]; then
      echo "==> $kind: $step"
      bash "scripts/$kind-$step.sh" || status=1
    fi
  done
  return $status
}

case "${1:-}" in
  test)
    # Order: the native core first (fast feedback), then the doors, then the module and browser.
    run_steps test scripts native fuzz wasm php properties module load browser differential
    ;;
  bench)
    run_steps bench native wasm php module browser page
    ;;
  demo)
    bash scripts/demo.sh
    ;;
  *)
    echo "usage: ./dev.sh demo | test | bench" >&2
    exit 2
    ;;
esac
