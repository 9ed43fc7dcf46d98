#!/usr/bin/env bash
# Pruning beside a running daemon, as cron does it: a database of ROWS
# requests (default 1,000,000), `hooktop serve` on it, and a client that
# sends a request every 10 ms and times each answer. First `hooktop prune
# --keep 0` from the command line, then the daemon's own retention
# (`[store] max_requests = 10`) on a fresh copy. For each: how long the
# prune took, the client's slowest answer and its non-2xx answers while it
# ran, and the database file's size before and after.
#
#   Benchmarks/prune.sh [rows=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
swift build -c release --product hooktop >/dev/null
swift build -c release --product hooktop-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/hooktop-bench" populate "$work/full.sqlite" "$rows" >/dev/null

# client PORT STOPFILE: one request every 10 ms on one connection until STOPFILE
# exists; prints "answers N, not 2xx N, slowest S s"
client() {
  python3 - "$1" "$2" <<'PY'
import http.client, os, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
n = bad = 0
slowest = 0.0
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
while not os.path.exists(stop):
    started = time.time()
    try:
        conn.request("POST", "/during", body=b"{}")
        answer = conn.getresponse()
        answer.read()
        status = answer.status
    except Exception:
        status = 0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    slowest = max(slowest, time.time() - started)
    n += 1
    bad += not (200 <= status < 300)
    time.sleep(0.01)
print("answers %d, not 2xx %d, slowest %.3f s" % (n, bad, slowest))
PY
}

# start DB [CONFIG]: a daemon on DB; sets $pid and $port
start() {
  : > "$work/serve.log"
  "$bin/hooktop" serve --db "$1" --listen 127.0.0.1:0 ${2:+--config "$2"} 2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3)
}

size() { stat -c %s "$1"; }

# Each copy written back before the daemon opens it: the first fsync of a
# file with 1.4 GB of a fresh copy's pages still dirty waits for them all.
cp "$work/full.sqlite" "$work/cli.sqlite" && sync "$work/cli.sqlite"
before=$(size "$work/cli.sqlite")
start "$work/cli.sqlite"
client "$port" "$work/stop1" > "$work/client.txt" & sender=$!
sleep 1
t0=$(date +%s.%N)
"$bin/hooktop" prune --db "$work/cli.sqlite" --keep 0 > "$work/prune.txt"
t1=$(date +%s.%N)
sleep 1
touch "$work/stop1"; wait $sender
kill $pid; wait $pid 2>/dev/null || true
printf 'hooktop prune --keep 0 on %d requests beside the daemon: %s in %.1f s; file %d -> %d bytes\n' \
  "$rows" "$(cat "$work/prune.txt")" "$(python3 -c "print($t1 - $t0)")" "$before" "$(size "$work/cli.sqlite")"

cp "$work/full.sqlite" "$work/retention.sqlite" && sync "$work/retention.sqlite"
printf '[store]\nmax_requests = 10\n' > "$work/retention.toml"
start "$work/retention.sqlite" "$work/retention.toml"
client "$port" "$work/stop2" > "$work/client2.txt" & sender=$!
for _ in $(seq 1200); do grep -q 'msg=retention' "$work/serve.log" && break; sleep 0.1; done
sleep 1
touch "$work/stop2"; wait $sender
kill $pid; wait $pid 2>/dev/null || true
printf 'the daemon'"'"'s retention (max_requests = 10): %s; file %d -> %d bytes\n' \
  "$(grep -o 'msg=retention removed=[0-9]*' "$work/serve.log" | head -1)" "$before" "$(size "$work/retention.sqlite")"
echo "client during the prune: $(cat "$work/client.txt")"
echo "client during the retention: $(cat "$work/client2.txt")"
