#!/usr/bin/env bash
# The dashboard left open on a large request: CPU while nothing happens,
# and memory. Captures one 10 MiB text request with a release `hooktop
# serve`, opens it in `hooktop tui` inside tmux (Enter, then the Body tab),
# and reads the TUI's CPU time before and after SECONDS of idling; then the
# same on the list and on the help screen (idle is idle whatever is on screen).
#
#   Benchmarks/idle.sh [seconds=10] [MiB=10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
mib=${2:-10}
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux; }
swift build -c release --product hooktop >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
session="hooktop-idle-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/hooktop" serve --db "$work/idle.sqlite" --listen 127.0.0.1:0 --max-body $((mib + 1))MiB 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3)
python3 - "$work/body.txt" "$mib" <<'PY'
import sys
size = int(sys.argv[2]) << 20
with open(sys.argv[1], "w") as f:
    n = 0
    while f.tell() < size:
        f.write("line %d: the quick brown fox jumps over the lazy dog, again and again\n" % n)
        n += 1
PY
curl -s -o /dev/null -X POST -H 'Content-Type: text/plain' --data-binary @"$work/body.txt" "http://127.0.0.1:$port/big"

tmux new-session -d -s "$session" -x 120 -y 40 "$bin/hooktop tui --db $work/idle.sqlite"
sleep 1.5
started=$(date +%s%N)
tmux send-keys -t "$session" Enter
for _ in $(seq 200); do tmux capture-pane -p -t "$session" | grep -q 'Overview' && break; sleep 0.01; done
tmux send-keys -t "$session" Tab Tab
for _ in $(seq 200); do tmux capture-pane -p -t "$session" | grep -q 'line 0: the quick' && break; sleep 0.01; done
opened=$(( ($(date +%s%N) - started) / 1000000 ))
tui=$(pgrep -P "$(tmux display-message -p -t "$session" '#{pane_pid}')" hooktop || tmux display-message -p -t "$session" '#{pane_pid}')
ticks=$(getconf CLK_TCK)
idle() {  # SECONDS: the share of a core the dashboard used over them, in percent
  local t0 t1
  t0=$(awk '{print $14 + $15}' /proc/"$tui"/stat)
  sleep "$1"
  t1=$(awk '{print $14 + $15}' /proc/"$tui"/stat)
  python3 -c "print('%.2f' % (100.0 * ($t1 - $t0) / $ticks / $1))"
}
python3 -c "print('dashboard, %d MiB body open: %s %% of a core idle over %d s; opened and drawn through tmux in %d ms (keys, polling and tmux included)' % ($mib, '$(idle "$secs")', $secs, $opened))"
grep -E 'VmRSS|VmHWM' /proc/"$tui"/status | tr -s ' \t' ' ' | tr '\n' ' '; echo
tmux send-keys -t "$session" Escape
for _ in $(seq 200); do tmux capture-pane -p -t "$session" | grep -q 'ID TIME' && break; sleep 0.01; done
sleep 1
echo "dashboard on the list: $(idle "$secs") % of a core idle over $secs s"
tmux send-keys -t "$session" '?'
for _ in $(seq 200); do tmux capture-pane -p -t "$session" | grep -q 'keys' && break; sleep 0.01; done
sleep 1
echo "dashboard on the help screen: $(idle "$secs") % of a core idle over $secs s"
