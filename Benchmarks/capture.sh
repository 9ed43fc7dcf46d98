#!/usr/bin/env bash
# Throughput of `hooktop serve` while durably storing every request:
# release build, wrk with a 1 KB JSON POST, 64 connections, one wrk thread.
#
#   Benchmarks/capture.sh [seconds] [connections] [durability]
#
# Prints wrk's summary and the group-commit batch sizes the daemon reached.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
durability=${3:-normal}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

swift build -c release --product hooktop >/dev/null
bin=$(swift build -c release --show-bin-path)/hooktop
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" serve --db "$work/bench.sqlite" --listen 127.0.0.1:0 --durability "$durability" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3)

python3 - "$work/post.lua" <<'PY'
import json, sys
event = {"id": "evt_1NXxd2KZ0dZRqLEK1ASxV0", "object": "event", "type": "payment_intent.succeeded",
         "data": {"object": {"id": "pi_3NXxd1KZ0dZRqLEK0yKcY3Ag", "amount": 2000, "currency": "usd",
                             "customer": "cus_OKWd8gxVfSW1", "description": "x" * 600}}}
body = json.dumps(event)[:1024].ljust(1024)
open(sys.argv[1], "w").write(
    'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n'
    'wrk.headers["Stripe-Signature"] = "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"\n'
    % json.dumps(body))
PY

wrk -t1 -c"$conns" -d"${secs}s" -s "$work/post.lua" "http://127.0.0.1:$port/stripe/events" | tee "$work/wrk.txt"
kill -TERM $pid; wait $pid || true
grep -E 'stopped' "$work/serve.log" | sed 's/^.*info hooktop: /daemon: /'
stored=$(sqlite3 "$work/bench.sqlite" 'select count(*) from requests')
echo "rows in database: $stored"
