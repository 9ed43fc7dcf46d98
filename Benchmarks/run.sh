#!/usr/bin/env bash
# One command, one run: durable capture throughput of `hooktop serve` as a
# fraction of a bare SwiftNIO server (Benchmarks/Baseline) on the same
# machine, measured interleaved (baseline, hooktop, baseline, hooktop, ...)
# so a noisy neighbour hits both alike. Afterwards it checks that hooktop's
# database holds every request wrk saw answered with a 2xx.
#
#   Benchmarks/run.sh [rounds=3] [seconds=8] [connections=64] [all]
#
# With `all` it also reports export (HAR, NDJSON of 100k requests), a body
# filter and the dashboard over 1M requests, opening 10 MiB bodies in the
# detail view, the dashboard's idle CPU in tmux with one open, the
# dashboard while traffic comes (live.sh), forwarding to a local target, and
# pruning a million requests beside the daemon (prune.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-8}
conns=${3:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product hooktop >/dev/null
swift build -c release --product hooktop-baseline >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

source Benchmarks/common.sh

port_of() {  # waits for a server's "listening on" line in $work/out or $work/err; prints the port
  for _ in $(seq 100); do grep -qh 'listening on' "$work/out" "$work/err" 2>/dev/null && break; sleep 0.1; done
  grep -ho 'http://127.0.0.1:[0-9]*' "$work/out" "$work/err" | head -1 | cut -d: -f3
}

ticks() {  # CPU ticks (1/100 s) a process has used, user and system
  awk '{print $14 + $15}' "/proc/$1/stat"
}
cpu_per_request() {  # TICKS_BEFORE TICKS_AFTER REQUESTS: microseconds of the server's CPU a request
  python3 -c "print('%.1f' % (($2 - $1) * 10000 / max(1, $3)))"
}
machine() {  # the machine's idle and total ticks so far (all cores)
  awk '/^cpu / {print $5, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat
}
idle_share() {  # IDLE0 TOTAL0 IDLE1 TOTAL1: the machine's idle time over a run, in percent
  python3 -c "print('%.0f%%' % (100 * ($3 - $1) / max(1, $4 - $2)))"
}

# serve ROUND NAME SCRIPT PID: one wrk run against a server just started
# (its pid); prints its row, adds its rate to sum[NAME], leaves total and non2xx.
serve() {
  local port t0 i0 a0 i1 a1 rps p50 p99 cpu
  port=$(port_of)
  t0=$(ticks "$4"); read -r i0 a0 < <(machine)
  read -r rps p50 p99 total non2xx < <(measure "http://127.0.0.1:$port/stripe/events" "$conns" "$3")
  cpu=$(cpu_per_request "$t0" "$(ticks "$4")" "$total"); read -r i1 a1 < <(machine)
  kill -TERM "$4"; wait "$4" 2>/dev/null || true
  printf '%-6s %-9s %10s %9s %9s %12s %6s\n' "$1" "$2" "$rps" "$p50" "$p99" "$cpu" "$(idle_share $i0 $a0 $i1 $a1)"
  sum[$2]=$(python3 -c "print(${sum[$2]} + $rps)")
}

# interleave SCRIPT LABEL [NOTE]: the rounds, baseline then hooktop on a fresh
# database, each run's database checked for every acknowledged request
# (and, with random ids, for ids that really differ); then the ratio.
interleave() {
  declare -gA sum=([baseline]=0 [hooktop]=0)
  for r in $(seq "$rounds"); do
    "$bin/hooktop-baseline" 0 > "$work/out" 2> "$work/err" &
    serve "$r" baseline "$1" $!
    db="$work/${1%.lua}$r.sqlite"
    "$bin/hooktop" serve --db "$db" --listen 127.0.0.1:0 --log-level warning > "$work/out" 2> "$work/err" &
    serve "$r" hooktop "$1" $!
    read -r stored ids < <(sqlite3 -separator ' ' "$db" 'select count(*), count(distinct delivery_id) from requests')
    if [ "$stored" -lt $((total - non2xx)) ]; then checked="MISSING: round $r stored $stored of $((total - non2xx)) acknowledged"; fi
    if [ "$1" = unique.lua ] && [ "$ids" -lt $((stored * 99 / 100)) ]; then checked="round $r: only $ids delivery ids in $stored requests"; fi
  done
  python3 -c "print('ratio hooktop/baseline$2: %.2f${3:-}' % (${sum[hooktop]} / ${sum[baseline]}))"
}

# idle: both cores' idle time during the run (the server, wrk and everything else on the machine).
printf '%-6s %-9s %10s %9s %9s %12s %6s\n' round server req/s p50 p99 'cpu µs/req' idle
checked=ok
interleave post.lua "" "  (goal 0.60)"
# The same rounds with a random delivery id on every request, as providers
# send them (docs/PERFORMANCE.md, session 17). Not the goal's benchmark (one
# request, one id), but what a burst of real callbacks costs.
echo "each request with its own random delivery id (webhook-id):"
interleave unique.lua ", random delivery ids"
echo "every 2xx stored: $checked"
# The floor under hooktop's writer: SQLite alone, same table, same row (docs/PERFORMANCE.md).
if command -v cc >/dev/null && cc -O2 -I Sources/CSQLite/include -I .build/checkouts/sqlite-nio/Sources/VaporCSQLite/include \
    Benchmarks/sqlite-floor.c "$bin/VaporCSQLite.build/sqlite_nio_sqlite3.c.o" -lpthread -lm -o "$work/sqlite-floor" 2>/dev/null; then
  sqlite3 "$work/post1.sqlite" .schema > "$work/schema.sql"
  "$work/sqlite-floor" "$work/schema.sql" "$work/floor.sqlite" 100000 12
fi

# The other paths of the performance issue, with `all` as the fourth argument:
# export, a body filter and the dashboard on large databases, and forwarding.
if [ "${4:-}" = "all" ]; then
  swift build -c release --product hooktop-bench >/dev/null
  "$bin/hooktop-bench" populate "$work/100k.sqlite" 100000
  "$bin/hooktop-bench" export "$work/100k.sqlite" har
  "$bin/hooktop-bench" export "$work/100k.sqlite" ndjson
  "$bin/hooktop-bench" populate "$work/1m.sqlite" 1000000
  "$bin/hooktop-bench" filter "$work/1m.sqlite" '~b needle-that-is-not-there'
  "$bin/hooktop-bench" tui "$work/1m.sqlite"
  rm -f "$work"/100k.sqlite* "$work"/1m.sqlite*
  for kind in json text utf8 emoji binary; do "$bin/hooktop-bench" body "$kind" 10; done
  Benchmarks/idle.sh 10 10
  Benchmarks/live.sh "$secs" 1000000
  Benchmarks/forward.sh "$secs" "$conns"
  Benchmarks/prune.sh 1000000
fi
