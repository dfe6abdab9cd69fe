#!/bin/bash
# Bounded soak test of port53d (issue 5): tools/soak.sh [SECONDS] [port53d path]
# Runs in a private network namespace it creates (only loopback exists there).
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
mkdir -p "$OUT"
cp "$DAEMON" "$OUT/port53d"  # a rebuild during the run cannot change what is measured
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$ROOT/tools/bench/soak.py" \
    --port53d "$OUT/port53d" --seconds "$SECONDS_ARG" --out "$OUT"
