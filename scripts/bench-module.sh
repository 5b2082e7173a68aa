#!/usr/bin/env bash
# getfeed through the emoncms module (demo host, SQLite), requests per second with wrk on
# 127.0.0.1: a caller with 1 group × 1 member × 1 feed, and one with 50 groups × 50 members ×
# 20 feeds (2,500 members, 50,000 feeds). Authorising a feed costs two queries in both (B-25),
# so the large case should keep at least 80% of the small case's rate. Each case is measured as
# requests per second (wall clock) and as requests per CPU-second of the server; the second one
# decides the target, because on a shared machine the first moves with everyone else's work.
#   BENCH_SECONDS=4 per run, BENCH_ROUNDS=5: the cases alternate and each keeps its best run.
set -euo pipefail
cd "$(dirname "$0")/.."
source php-ext/demo/env.sh

ensure_packages php8.2-cli php8.2-sqlite3 php8.2-dev libclang-dev clang curl procps wrk
build_extension

work=$(mktemp -d "${TMPDIR:-/tmp}/emongroups-bench.XXXXXX")
SERVER_PID=
trap 'stop_server "$SERVER_PID"; rm -rf "$work"' EXIT
export EMONGROUPS_RUN=$work EMONGROUPS_DB=sqlite
seed fresh bulk:benchsmall:1:1:1 bulk:benchlarge:50:50:20 >/dev/null

port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo explode(":", stream_socket_get_name($s, false))[1];')
PHP_CLI_SERVER_WORKERS=2 start_server "$port" "$work/server.log"

# url CASE: a day of hourly data of the last group's first data feed, read with the caller's API key.
url() {
  php -r '
    $s = json_decode(file_get_contents(getenv("EMONGROUPS_RUN") . "/seed.json"), true)["bulk"][$argv[1]];
    $end = time() * 1000;
    echo "http://127.0.0.1:" . $argv[2] . "/group/getfeed/data.json?" . http_build_query(array(
      "id" => end($s["data_feeds"]), "start" => $end - 86400000, "end" => $end, "interval" => 3600,
      "apikey" => $s["admin"]["apikey_read"]));' "$1" "$port"
}
small=$(url benchsmall)
large=$(url benchlarge)
for u in "$small" "$large"; do
  body=$(curl -s "$u")
  case "$body" in
    "[["*) ;;
    *) echo "getfeed did not answer data: $body" >&2; exit 1 ;;
  esac
done

seconds=${BENCH_SECONDS:-4}
rounds=${BENCH_ROUNDS:-5}
ticks_per_second=$(getconf CLK_TCK)

# cpu_ticks: user + system time so far of the server and its workers.
cpu_ticks() {
  local master pids
  master=$(pgrep -P "$SERVER_PID" | head -n1)
  pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
  for p in $pids; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}

# run URL: one wrk run; prints "<requests/s> <requests per server CPU-second>".
run() {
  local before after out
  before=$(cpu_ticks)
  out=$(wrk -t1 -c4 -d"${seconds}s" "$1")
  after=$(cpu_ticks)
  awk -v b="$before" -v a="$after" -v hz="$ticks_per_second" '
    /requests in/ { n = $1 } /Requests\/sec/ { r = $2 }
    END { cpu = (a - b) / hz; printf "%s %s\n", r, (cpu > 0) ? n / cpu : 0 }' <<<"$out"
}
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a) ? b : a }'; }

best_small=0 best_large=0 cpu_small=0 cpu_large=0
run "$small" >/dev/null   # warm up
for _ in $(seq 1 "$rounds"); do
  read -r r c < <(run "$small"); best_small=$(max "$best_small" "$r"); cpu_small=$(max "$cpu_small" "$c")
  read -r r c < <(run "$large"); best_large=$(max "$best_large" "$r"); cpu_large=$(max "$cpu_large" "$c")
done
# The wall-clock rates move with whatever else the machine runs; the rates per CPU-second of the
# server (its own user + system time) do not, so they decide the target.
awk -v s="$best_small" -v l="$best_large" -v cs="$cpu_small" -v cl="$cpu_large" 'BEGIN {
  printf "bench/module getfeed   1 group  x  1 member  x  1 feed : %8.1f requests/s  %8.1f per server CPU-second\n", s, cs
  printf "bench/module getfeed  50 groups x 50 members x 20 feeds: %8.1f requests/s  %8.1f per server CPU-second\n", l, cl
  printf "bench/module ratio large/small: %.2f requests/s, %.2f per CPU-second (target >= 0.80)\n", l / s, cl / cs
  exit (cl / cs >= 0.8) ? 0 : 1 }'
