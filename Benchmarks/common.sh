# Sourced by the benchmark scripts: the request wrk sends and how a run is read.
# Needs $work (a temporary folder) and $secs (seconds per wrk run).

# $work/post.lua: a 1 KiB Stripe-like JSON POST with a Stripe-Signature header
# (BODY=bytes sets another size, for questions that depend on it, such as
# the page size: docs/PERFORMANCE.md, session 19; the goal's benchmark is 1 KiB).
# $work/unique.lua: the same with a delivery id of its own, random as
# providers make them (`webhook-id: msg_` and 16 hex digits; Stripe's evt_
# ids and GitHub's GUIDs are as random). wrk builds it for each request,
# which costs wrk some CPU: compare it only with the baseline under the same script.
python3 - "$work" "${BODY:-1024}" <<'PY'
import json, sys
size = int(sys.argv[2]) if sys.argv[2].isdigit() else 0
if size < 1:
    sys.exit("BODY must be a number of bytes, at least 1 (got %r)" % sys.argv[2])
body = json.dumps(json.dumps({"id": "evt_1NXxd2KZ0dZRqLEK1ASxV0", "type": "payment_intent.succeeded",
                   "data": {"object": {"amount": 2000, "currency": "usd", "description": "x" * max(0, size - 124)}}})[:size].ljust(size))
signature = "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
open(sys.argv[1] + "/post.lua", "w").write(
    'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n'
    'wrk.headers["Stripe-Signature"] = "%s"\n' % (body, signature))
open(sys.argv[1] + "/unique.lua", "w").write(
    'local body = %s\n'
    'local headers = {["Content-Type"] = "application/json", ["Stripe-Signature"] = "%s"}\n'
    'request = function()\n'
    '  headers["webhook-id"] = string.format("msg_%%08x%%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))\n'
    '  return wrk.format("POST", nil, headers, body)\n'
    'end\n' % (body, signature))
PY

# measure URL CONNECTIONS [SCRIPT]: wrk's summary as "req/s p50 p99 requests non2xx"
# (SCRIPT: a wrk script in $work; post.lua unless named).
measure() {
  local out rps p50 p99 total non2xx
  out=$(wrk -t1 -c"$2" -d"${secs}s" --latency -s "$work/${3:-post.lua}" "$1")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  echo "$rps $p50 $p99 $total ${non2xx:-0}"
}
