#!/usr/bin/env bash
# Compares hooktop builds (or one build with different settings) on the
# capture benchmark: each round runs the baseline and every build once, in
# an order rotated from round to round, and the builds are judged by their
# difference from the first build within each round. On this machine kind
# a build's CPU per request moves by a quarter from one round to the next;
# only pairs taken in the same minute say anything, and a change under
# about 3 % does not show in 10–15 rounds.
#
#   Benchmarks/compare.sh ROUNDS BUILD [BUILD...]
#
# A BUILD is an executable run as `BUILD serve --db ... --listen ...`: a
# copy of .build/release/hooktop, or a script that sets an environment
# variable and execs one. SECS (default 4) sets each wrk run's length;
# SCRIPT=unique.lua sends each request with a random delivery id (common.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: Benchmarks/compare.sh ROUNDS BUILD [BUILD...]" >&2; exit 64; }
rounds=$1; shift
secs=${SECS:-4}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product hooktop-baseline >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

source Benchmarks/common.sh

port_of() {
  for _ in $(seq 100); do grep -qh 'listening on' "$work/out" "$work/err" 2>/dev/null && break; sleep 0.1; done
  grep -ho 'http://127.0.0.1:[0-9]*' "$work/out" "$work/err" | head -1 | cut -d: -f3
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

: > "$work/results"
run() {  # ROUND NAME PID: one wrk run; appends "round name req/s cpu-µs-per-request"
  local port t0 t1 rps total
  port=$(port_of); t0=$(ticks "$3")
  read -r rps _ _ total _ < <(measure "http://127.0.0.1:$port/stripe/events" 64 "${SCRIPT:-post.lua}")
  t1=$(ticks "$3")
  kill -TERM "$3"; wait "$3" 2>/dev/null || true
  echo "$1 $2 $rps $(( (t1 - t0) * 10000 / (total > 0 ? total : 1) ))" >> "$work/results"
}

builds=(baseline "$@")
n=${#builds[@]}
for r in $(seq "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    b=${builds[$(( (k + r) % n ))]}
    rm -f "$work/out" "$work/err" "$work"/db*
    if [ "$b" = baseline ]; then
      "$bin/hooktop-baseline" 0 > "$work/out" 2> "$work/err" & run "$r" baseline $!
    else
      "$b" serve --db "$work/db.sqlite" --listen 127.0.0.1:0 --log-level warning > "$work/out" 2> "$work/err" & run "$r" "$b" $!
    fi
  done
done

python3 - "$work/results" "$1" <<'PY'
import collections, statistics as st, sys
rows = [line.split() for line in open(sys.argv[1])]
first = sys.argv[2]
by = collections.defaultdict(dict)
for r, name, rps, cpu in rows:
    by[r][name] = (float(rps), float(cpu))
names = [n for n in dict.fromkeys(name for _, name, _, _ in rows) if n != "baseline"]
print("%-40s %7s %9s %12s %s" % ("build", "ratio", "per round", "cpu µs/req", "against the first build, per round (mean ± standard error)"))
for n in names:
    rounds = [r for r in by if n in by[r] and "baseline" in by[r]]
    ratio = sum(by[r][n][0] for r in rounds) / sum(by[r]["baseline"][0] for r in rounds)
    per = [by[r][n][0] / by[r]["baseline"][0] for r in rounds]
    line = "%-40s %7.3f %9.3f %12.1f" % (n[-40:], ratio, st.median(per), st.mean(by[r][n][1] for r in rounds))
    if n != first and len(rounds) > 1:
        rel = [by[r][n][0] / by[r][first][0] - 1 for r in rounds]
        cpu = [by[r][n][1] - by[r][first][1] for r in rounds]
        se = lambda xs: st.pstdev(xs) / len(xs) ** 0.5
        line += "  rate %+.1f %% ± %.1f, cpu %+.1f ± %.1f µs" % (100 * st.mean(rel), 100 * se(rel), st.mean(cpu), se(cpu))
    print(line)
PY
