#!/usr/bin/env bash
# Forwarding throughput: wrk -> hooktop serve --forward-to -> a target that
# answers 200 at once (hooktop-bench target), all on the same machine.
# Prints wrk's capture rate, the deliveries per second while wrk runs, then
# the rate at which the backlog left when wrk stopped is delivered (the
# forwarding rate: capture no longer shares the cores), its CPU per
# delivery, and the delivery states afterwards (every request delivered).
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

"$bin/hooktop-bench" target 0 $((secs + 20)) >"$work/target.log" &
tpid=$!
for _ in $(seq 100); do grep -q 'listening' "$work/target.log" && break; sleep 0.1; done
tport=$(grep -o '127.0.0.1:[0-9]*' "$work/target.log" | cut -d: -f2)

"$bin/hooktop" serve --db "$work/fwd.sqlite" --listen 127.0.0.1:0 --forward-to "http://127.0.0.1:$tport/app" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3)

body=$(python3 -c 'import json; print(json.dumps(json.dumps({"id": "evt_1", "pad": "x" * 990})))')
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "$body" > "$work/post.lua"
wrk -t1 -c"$conns" -d"${secs}s" -s "$work/post.lua" "http://127.0.0.1:$port/hook" | grep -E 'Requests/sec|Latency'
delivered() { sqlite3 "$work/fwd.sqlite" "select count(*) from requests where delivery_state = 'delivered'"; }
left() { sqlite3 "$work/fwd.sqlite" "select count(*) from requests where delivery_state = 'pending'"; }
echo "while wrk ran, deliveries per second: $(grep 'req/s' "$work/target.log" | head -"$secs" | awk '{print $2}' | tr '\n' ' ')"
# The backlog: from now until nothing is pending (or 60 s).
d0=$(delivered); t0=$(date +%s.%N); c0=$(awk '{print $14 + $15}' /proc/$pid/stat)
for _ in $(seq 600); do [ "$(left)" -eq 0 ] && break; sleep 0.1; done
d1=$(delivered); t1=$(date +%s.%N); c1=$(awk '{print $14 + $15}' /proc/$pid/stat)
python3 -c "
n = $d1 - $d0; t = $t1 - $t0
print('backlog of %d delivered in %.2f s: %.0f deliveries/s, %.0f us of hooktop CPU per delivery (goal 10,000/s)'
      % (n, t, n / t if t else 0, ($c1 - $c0) * 10000 / n if n else 0))"
kill -TERM $pid; wait $pid || true
sqlite3 "$work/fwd.sqlite" "select delivery_state, count(*) from requests group by 1"
