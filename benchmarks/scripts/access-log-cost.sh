#!/bin/bash
# The access log's cost on /hello (node adapter): wrk -t1 -c64 against servers with and without the log, run in turn,
# reporting requests/s and the server's CPU time per request (utime+stime from /proc, steadier on a shared machine).
# Usage: [NAMES="off text json main"] [ROUNDS=10] [DUR=3] [DEST=/dev/null] benchmarks/scripts/access-log-cost.sh
# (main = the /work/main checkout, for the pipeline's cost with every feature off; DEST = where the servers' stdout goes)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=$ROOT/node_modules/.bin/node
TICK=$(getconf CLK_TCK)
declare -A URL PID
start() { # name root flags...
  local name=$1 root=$2; shift 2
  (cd "$root" && exec "$N" packages/cli/src/entries/node.ts --runtime node --port 0 "$@" apps/demo/src/app.ts > "${DEST:-/tmp/access-log-cost-$name.log}" 2>/dev/null) &
  PID[$name]=$!
}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
NAMES="${NAMES:-off text json}"
for n in $NAMES; do
  case $n in
    main) start main /work/main ;;
    off) start off "$ROOT" --no-access-log ;;
    text) start text "$ROOT" ;;
    json) start json "$ROOT" --log-format json ;;
  esac
done
sleep 8
for n in $NAMES; do
  port=$(ss -ltnpH | grep "pid=${PID[$n]}," | awk '{print $4}' | sed 's/.*://' | head -1)
  URL[$n]=http://127.0.0.1:$port
done
for n in $NAMES; do wrk -t1 -c64 -d2s "${URL[$n]}/hello" > /dev/null; done # warm-up
for round in $(seq 1 "${ROUNDS:-10}"); do
  for n in $NAMES; do
    c0=$(cpu "${PID[$n]}")
    out=$(wrk -t1 -c64 -d"${DUR:-3}"s "${URL[$n]}/hello")
    c1=$(cpu "${PID[$n]}")
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    echo "round $round $n rps=$rps cpu_us_per_req=$(echo "scale=2; ($c1-$c0)*1000000/$TICK/$reqs" | bc)"
  done
done
for n in $NAMES; do kill "${PID[$n]}"; done
sleep 1
rm -f /tmp/access-log-cost-*.log
