#!/bin/bash
# Bounded soak test of port53d (issues 5 and 9): tools/soak.sh [SECONDS] [port53d path]
# Mixed load, garbage and a probe client, with the attacks of issue 9 (HTTP/2 rapid reset,
# pipelined large queries, unique-name flood, slow clients, malformed DNS) in bounded phases;
# RSS and fds sampled and checked against a bound derived from the settings
# (tools/bench/soak.py). Runs in a private network namespace it creates (only loopback
# exists there).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_ARG=${1:-60}
DAEMON=${2:-$ROOT/build/port53d}
OUT=${SOAK_OUT:-/tmp/port53-soak/$(date +%Y%m%d-%H%M%S)}
if [ -z "${PORT53_IN_NETNS:-}" ]; then
    export PORT53_IN_NETNS=1
    exec unshare --net -- "$0" "$@"
fi
ip link set lo up
others=$(ip -o link show | awk -F': ' '$2 != "lo" {print $2}')
if [ -n "$others" ]; then
    echo "soak.sh: network namespace has interfaces besides lo ($others): refusing to run" >&2
    exit 1
fi
for t in dnsperf nsd ldns-signzone openssl; do
    command -v "$t" >/dev/null || { echo "soak.sh: $t not found (apt-get install it)" >&2; exit 1; }
done
mkdir -p "$OUT"
cp "$DAEMON" "$OUT/port53d"  # a rebuild during the run cannot change what is measured
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$ROOT/tools/bench/soak.py" \
    --port53d "$OUT/port53d" --seconds "$SECONDS_ARG" --out "$OUT" ${SOAK_ARGS:-}
