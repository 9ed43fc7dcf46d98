#!/usr/bin/env bash
# Forwarding throughput: wrk -> hooktop serve --forward-to -> a target that
# answers 200 at once (hooktop-bench target), all on the same 2 cores.
#
#  1. Capture and forwarding together: wrk for SECONDS; wrk's capture rate,
#     the target's deliveries per second meanwhile, and what was still
#     pending when wrk stopped.
#  2. Forwarding alone: the target is paused (SIGSTOP) while wrk builds a
#     backlog of about SECONDS/2 of capture, then resumed; the rate at which
#     that backlog is delivered, and hooktop's CPU per delivery. The issue's
#     goal (10,000/s) is about this number.
#  3. Resuming after a crash: the same backlog, then the daemon is killed
#     (SIGKILL) and started again on its database; the rate at which the
#     new daemon claims and delivers what the dead one had leased.
#
# Ends with the delivery states: every request delivered.
#
#   Benchmarks/forward.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product hooktop >/dev/null
swift build -c release --product hooktop-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'kill $tpid $pid 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/hooktop-bench" target 0 $((secs * 2 + 90)) >"$work/target.log" &
tpid=$!
for _ in $(seq 100); do grep -q 'listening' "$work/target.log" && break; sleep 0.1; done
tport=$(grep -o '127.0.0.1:[0-9]*' "$work/target.log" | cut -d: -f2)

"$bin/hooktop" serve --db "$work/fwd.sqlite" --listen 127.0.0.1:0 --forward-to "http://127.0.0.1:$tport/app" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3)

body=$(python3 -c 'import json; print(json.dumps(json.dumps({"id": "evt_1", "pad": "x" * 990})))')
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "$body" > "$work/post.lua"
count() { sqlite3 "$work/fwd.sqlite" "select count(*) from requests where delivery_state = '$1'"; }
drain() {  # waits until nothing is pending (at most 60 s)
  for _ in $(seq 300); do [ "$(count pending)" -eq 0 ] && break; sleep 0.2; done
}

echo "1. capture and forwarding together ($secs s)"
wrk -t1 -c"$conns" -d"${secs}s" -s "$work/post.lua" "http://127.0.0.1:$port/hook" | grep -E 'Requests/sec|Latency'
echo "   deliveries per second meanwhile: $(grep 'req/s' "$work/target.log" | head -"$secs" | awk '{print $2}' | tr '\n' ' ')"
echo "   pending when wrk stopped: $(count pending)"
drain

echo "2. forwarding a backlog (target paused while wrk runs $((secs / 2)) s, then resumed)"
kill -STOP $tpid
wrk -t1 -c"$conns" -d"$((secs / 2))s" -s "$work/post.lua" "http://127.0.0.1:$port/hook" | grep -E 'Requests/sec'
d0=$(count delivered); t0=$(date +%s.%N); c0=$(awk '{print $14 + $15}' /proc/$pid/stat)
kill -CONT $tpid
drain
d1=$(count delivered); t1=$(date +%s.%N); c1=$(awk '{print $14 + $15}' /proc/$pid/stat)
python3 -c "
n = $d1 - $d0; t = $t1 - $t0
print('   backlog of %d delivered in %.2f s: %.0f deliveries/s, %.0f us of hooktop CPU per delivery (goal 10,000/s)'
      % (n, t, n / t if t else 0, ($c1 - $c0) * 10000 / n if n else 0))"

echo "3. resuming after a crash (target paused, wrk $((secs / 2)) s, daemon killed with SIGKILL and started again)"
kill -STOP $tpid
wrk -t1 -c"$conns" -d"$((secs / 2))s" -s "$work/post.lua" "http://127.0.0.1:$port/hook" | grep -E 'Requests/sec'
kill -KILL $pid; wait $pid 2>/dev/null || true
kill -CONT $tpid
d0=$(count delivered); t0=$(date +%s.%N)
"$bin/hooktop" serve --db "$work/fwd.sqlite" --listen 127.0.0.1:0 --forward-to "http://127.0.0.1:$tport/app" 2>"$work/serve2.log" &
pid=$!
drain
d1=$(count delivered); t1=$(date +%s.%N)
python3 -c "
n = $d1 - $d0; t = $t1 - $t0
print('   %d delivered by the new daemon in %.2f s from its start: %.0f deliveries/s' % (n, t, n / t if t else 0))"
kill -TERM $pid; wait $pid || true
sqlite3 "$work/fwd.sqlite" "select delivery_state, count(*) from requests group by 1"
