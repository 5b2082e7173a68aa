#!/usr/bin/env bash
# Core benchmarks (criterion) on a generated emoncms.org-sized state; prints each median.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p emongroups-core --features fixtures --bench engine -- --noplot 2>&1 | grep -E "check mix|what_can\(|what_if:|retained:" || true
for b in snapshot_build_from_rows engine_build_from_state_json check_can_read_feed who_can_read_feed what_can_user_see what_if_one_role_change; do
  f="target/criterion/$b/new/estimates.json"
  [ -f "$f" ] || { echo "missing $f"; exit 1; }
  ns=$(sed -E 's/.*"median":\{[^}]*\}[^}]*"point_estimate":([0-9.e+-]+).*/\1/' "$f")
  awk -v b="$b" -v ns="$ns" 'BEGIN {
    if (ns >= 1e6) printf "bench/native %-26s median %10.3f ms\n", b, ns/1e6;
    else if (ns >= 1e3) printf "bench/native %-26s median %10.3f us\n", b, ns/1e3;
    else printf "bench/native %-26s median %10.1f ns\n", b, ns }'
done
