#!/usr/bin/env bash
# Forwarding throughput: wrk -> hooktop serve --forward-to -> a target that
# answers 200 at once (hooktop-bench target). Prints wrk's capture rate, the
# target's delivery rate per second, and the delivery states afterwards.
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
sleep 5
kill -TERM $pid; wait $pid || true
echo "target, per second:"; grep 'req/s' "$work/target.log" | head -$((secs + 5)) | tr '\n' ' '; echo
sqlite3 "$work/fwd.sqlite" "select delivery_state, count(*) from requests group by 1"
