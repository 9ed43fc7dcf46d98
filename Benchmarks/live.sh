#!/usr/bin/env bash
# The dashboard while traffic comes: `hooktop tui` in tmux on a database of
# ROWS requests (default 1,000,000), beside the `hooktop serve` that
# captures them. Two wrk runs of SECONDS each: a steady trickle (4
# connections, each waiting 10 ms between requests: a few hundred a
# second) and a burst (64 connections, as fast as the daemon answers).
# For each: wrk's rate, the rate the dashboard's header showed meanwhile
# (read from the pane), and the dashboard's CPU. Then the trickle again
# with a body filter that nothing matches on screen (`~b`: every refresh
# of the filtered list reads every body).
#
#   Benchmarks/live.sh [seconds=10] [rows=1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rows=${2:-1000000}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux; }
swift build -c release --product hooktop >/dev/null
swift build -c release --product hooktop-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
session="hooktop-live-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/hooktop-bench" populate "$work/live.sqlite" "$rows" >/dev/null
"$bin/hooktop" serve --db "$work/live.sqlite" --listen 127.0.0.1:0 --log-level warning 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3)

cat > "$work/trickle.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"id":"evt_1","type":"invoice.paid"}'
wrk.headers["Content-Type"] = "application/json"
function delay() return 10 end
LUA
cat > "$work/burst.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount":2000,"currency":"usd"}}}'
wrk.headers["Content-Type"] = "application/json"
LUA

tmux new-session -d -s "$session" -x 120 -y 40 "$bin/hooktop tui --db $work/live.sqlite"
for _ in $(seq 300); do tmux capture-pane -p -t "$session" | grep -q ' req ' && break; sleep 0.01; done
sleep 1
tui=$(pgrep -P "$(tmux display-message -p -t "$session" '#{pane_pid}')" hooktop || tmux display-message -p -t "$session" '#{pane_pid}')
ticks=$(getconf CLK_TCK)

run() {  # NAME CONNECTIONS SCRIPT [SECONDS]
  local secs=${4:-$secs} t0 t1 shown out rps
  t0=$(awk '{print $14 + $15}' /proc/"$tui"/stat)
  # The header's rate (the last whole second), read from the pane half way through.
  ( sleep $((secs / 2)); tmux capture-pane -p -t "$session" | head -1 | grep -o '[0-9]*/s' | head -1 > "$work/shown" ) &
  local reader=$!
  out=$(wrk -t1 -c"$2" -d"${secs}s" -s "$work/$3" "http://127.0.0.1:$port/hook")
  wait "$reader"
  t1=$(awk '{print $14 + $15}' /proc/"$tui"/stat)
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  shown=$(cat "$work/shown")
  python3 -c "print('dashboard on %d requests, %s: wrk %s req/s, the header showed %s; dashboard CPU %.1f %% of a core' % ($rows, '$1', '$rps', '${shown:-?}', 100.0 * ($t1 - $t0) / $ticks / $secs))"
}
run trickle 4 trickle.lua
run burst 64 burst.lua
tmux send-keys -t "$session" / '~b needle-that-is-not-there' Enter
for _ in $(seq 600); do tmux capture-pane -p -t "$session" | grep -q 'not-there (0)' && break; sleep 0.1; done
# Longer: a filtered refresh that costs a walk through every body waits forty times what its count took.
run "trickle, filter ~b" 4 trickle.lua $((secs * 3))
