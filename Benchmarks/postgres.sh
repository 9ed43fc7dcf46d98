#!/usr/bin/env bash
# The PostgreSQL store, in one run on a throw-away server (.ci/postgres.sh):
# durable capture req/s into SQLite, into PostgreSQL, and into PostgreSQL
# from two daemons at once, interleaved round by round; afterwards each
# store must hold every request wrk saw answered 2xx. The request is run.sh's
# (Benchmarks/common.sh). With `all`: `~b` over
# 1,000,000 requests, the dashboard on them, and how long another daemon's
# request takes to appear on a dashboard in tmux.
#
#   Benchmarks/postgres.sh [rounds=3] [seconds=8] [connections=64] [all]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-8}
conns=${3:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product hooktop >/dev/null
swift build -c release --product hooktop-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
source .ci/postgres.sh
trap 'kill $(jobs -p) 2>/dev/null || true; stop_postgres; rm -rf "$work"' EXIT
admin=$HOOKTOP_TEST_POSTGRES
base=${admin%/*}

source Benchmarks/common.sh

declare -A pid=() port=()
serve() {  # serve NAME ARGS...: starts a daemon (pid[NAME]), waits for its port (port[NAME])
  local name=$1; shift
  "$bin/hooktop" serve --listen 127.0.0.1:0 --log-level warning "$@" > /dev/null 2> "$work/$name.err" &
  pid[$name]=$!
  for _ in $(seq 100); do grep -q 'listening on' "$work/$name.err" 2>/dev/null && break; sleep 0.1; done
  port[$name]=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$name.err" | head -1 | cut -d: -f3)
}
stop() { for name in "$@"; do kill -TERM "${pid[$name]}"; wait "${pid[$name]}" 2>/dev/null || true; done; }

fresh_db() { psql "$admin" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" 2>/dev/null; echo "$base/$1"; }

printf '%-6s %-22s %10s %9s %9s\n' round store req/s p50 p99
checked=ok
declare -A sum=()
for r in $(seq "$rounds"); do
  db="$work/r$r.sqlite"
  serve sqlite --db "$db"
  read -r rps p50 p99 total non2xx < <(measure "http://127.0.0.1:${port[sqlite]}/stripe/events" "$conns")
  acked=$((total - non2xx))
  stop sqlite
  printf '%-6s %-22s %10s %9s %9s\n' "$r" sqlite "$rps" "$p50" "$p99"
  sum[sqlite]=$(python3 -c "print(${sum[sqlite]:-0} + $rps)")
  [ "$(sqlite3 "$db" 'select count(*) from requests')" -ge "$acked" ] || checked="MISSING in sqlite round $r"

  url=$(fresh_db bench_one)
  serve pg --store "$url" --node one
  read -r rps p50 p99 total non2xx < <(measure "http://127.0.0.1:${port[pg]}/stripe/events" "$conns")
  acked=$((total - non2xx))
  stop pg
  printf '%-6s %-22s %10s %9s %9s\n' "$r" postgres "$rps" "$p50" "$p99"
  sum[pg]=$(python3 -c "print(${sum[pg]:-0} + $rps)")
  [ "$(psql "$url" -tAc 'select count(*) from requests')" -ge "$acked" ] || checked="MISSING in postgres round $r"

  url=$(fresh_db bench_two)
  serve pga --store "$url" --node a
  serve pgb --store "$url" --node b
  measure "http://127.0.0.1:${port[pga]}/stripe/events" $((conns / 2)) > "$work/a.txt" & wa=$!
  measure "http://127.0.0.1:${port[pgb]}/stripe/events" $((conns / 2)) > "$work/b.txt" & wb=$!
  wait $wa $wb
  stop pga pgb
  read -r ra _ pa99 total_a non2xx_a < "$work/a.txt"
  read -r rb _ pb99 total_b non2xx_b < "$work/b.txt"
  acked_a=$((total_a - non2xx_a)); acked_b=$((total_b - non2xx_b))
  rps=$(python3 -c "print(round($ra + $rb, 2))")
  printf '%-6s %-22s %10s %9s %9s\n' "$r" "postgres, 2 daemons" "$rps" "-" "$pa99/$pb99"
  sum[pg2]=$(python3 -c "print(${sum[pg2]:-0} + $rps)")
  [ "$(psql "$url" -tAc 'select count(*) from requests')" -ge "$((acked_a + acked_b))" ] || checked="MISSING in postgres (2 daemons) round $r"
done
python3 -c "print('mean req/s: sqlite %.0f, postgres %.0f, postgres with 2 daemons %.0f' % (${sum[sqlite]} / $rounds, ${sum[pg]} / $rounds, ${sum[pg2]} / $rounds))"
echo "every 2xx stored: $checked"

if [ "${4:-}" = "all" ]; then
  # A million ~1 KB JSON requests, made by the server itself (an import of that many takes longer).
  url=$(fresh_db bench_big)
  "$bin/hooktop" list --store "$url" > /dev/null  # creates the schema
  start=$(date +%s)
  psql "$url" -qc "INSERT INTO requests (node, received_at, remote, method, target, version, headers, body, body_size,
      body_truncated, response_status, response_headers, response_body, response_duration_us)
    SELECT 'bench', 1700000000000000 + g * 1000, '127.0.0.1:1', 'POST', '/stripe/events', 'HTTP/1.1',
      E'Content-Type: application/json\r\n', b, length(b), false, 200, '', ''::bytea, 10
    FROM (SELECT g, convert_to('{\"id\":\"evt_' || g || '\",\"type\":\"payment_intent.succeeded\",\"data\":{\"object\":{\"amount\":'
      || (g % 10000) || ',\"customer\":\"cus_' || md5(g::text) || '\",\"description\":\"' || repeat('lorem ipsum dolor sit amet ', 30)
      || '\"}}}', 'UTF8') AS b FROM generate_series(1, 1000000) g) s" -c "VACUUM ANALYZE requests"
  echo "populated 1,000,000 requests in $(( $(date +%s) - start )) s ($(psql "$url" -tAc "select pg_size_pretty(pg_total_relation_size('requests'))"))"
  for f in '~b needle-that-is-not-there' '~b cus_c4ca4238a0b923820dcc509a6f75849b' '~b "amount\":4242,"'; do
    s=$(date +%s%N); n=$("$bin/hooktop" list --store "$url" --limit 0 --filter "$f" | tail -n +2 | wc -l); e=$(date +%s%N)
    echo "filter $f over 1M: $n rows in $(( (e - s) / 1000000 )) ms (the whole command)"
  done
  "$bin/hooktop-bench" tui "$url"

  # Another daemon's request on a dashboard: sent with curl, seen in tmux's pane.
  url=$(fresh_db bench_live)
  serve live --store "$url" --node far
  tmux new-session -d -s hooktop-pg-bench -x 120 -y 30 "$bin/hooktop tui --store $url"
  sleep 1
  times=()
  for i in $(seq 10); do
    s=$(date +%s%N)
    curl -s -o /dev/null --data-binary x "http://127.0.0.1:${port[live]}/live-$i-"
    until tmux capture-pane -p -t hooktop-pg-bench | grep -q "/live-$i-"; do sleep 0.005; done
    times+=($(( ($(date +%s%N) - s) / 1000000 )))
    sleep 0.3
  done
  tmux kill-session -t hooktop-pg-bench
  stop live
  sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
  echo "another daemon's request on the dashboard (ms, 10 tries, sorted): $sorted"
fi
