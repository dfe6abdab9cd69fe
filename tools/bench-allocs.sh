#!/bin/bash
# Heap allocations per cache hit on each transport (issue 13: no allocation per query):
# port53d (1 worker) runs under callgrind in a private network namespace with the loopback
# lab; after warm-up, for each transport a small and a big batch of cache hits are sent,
# each with the counters zeroed before and dumped after, and the calls to operator new and
# malloc (OpenSSL's and nghttp2's included) are counted: per query = (big - small) /
# (queries big - queries small), which leaves out what a connection costs once.
# UDP and TCP/DoT from port53-load (TCP and DoT: one connection, 50 queries in flight,
# pipelined), DoH over HTTP/2 from h2load (one connection, 50 streams).
# Instructions per query (user space, the whole process) are printed beside them.
# --console: with the web console on (its taps record every answer, server/activity.hpp).
#   tools/bench-allocs.sh [--port53d PATH] [--console]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port53d=$root/build/port53d
load=$root/build/port53-load
orig_args=("$@")
console=0
while [ $# -gt 0 ]; do
    case $1 in
        --port53d) port53d=$2; shift 2 ;;
        --console) console=1; shift ;;
        *) echo "usage: $0 [--port53d PATH] [--console]" >&2; exit 2 ;;
    esac
done
# shellcheck source=tools/bench/netns.sh
. "$root/tools/bench/netns.sh"
bench_netns bench-allocs.sh "${orig_args[@]}"
for t in valgrind callgrind_control dig openssl h2load "$load"; do
    command -v "$t" >/dev/null || { echo "bench-allocs.sh: $t not found" >&2; exit 1; }
done

d=$(mktemp -d /tmp/port53-bench-allocs.XXXXXX)
lab=$d/lab
BENCH_REMOVE=$d
bench_lab_up "$lab"

addr=127.53.0.3
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench \
    -addext "subjectAltName=IP:$addr" -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
sed -e "s/127.53.0.1:53/$addr:53/" -e 's/log_level = "info"/log_level = "warning"/' \
    -e 's/^threads = .*/threads = 1/' "$lab/port53.toml" >"$d/port53.toml"
printf '[tls]\ncertificate = "%s"\nprivate_key = "%s"\ndot_listen = ["%s:853"]\ndoh_listen = ["%s:443"]\n' \
    "$d/cert.pem" "$d/key.pem" "$addr" "$addr" >>"$d/port53.toml"
if [ "$console" = 1 ]; then
    printf '[console]\nlisten = "%s:8443"\npassword_hash = "%s"\nstate_file = ""\n' "$addr" \
        "$(echo "bench password" | "$port53d" --hash-password)" >>"$d/port53.toml"
fi
printf 'www.sec.lab A\nwww.sec.lab AAAA\nsec.lab MX\nwww.target.example A\nwww.provider.example A\n' >"$d/q.txt"
# www.sec.lab A, RFC 8484 GET form (base64url, no padding).
doh_url="https://$addr:443/dns-query?dns=AAABAAABAAAAAAAAA3d3dwNzZWMDbGFiAAABAAE"

valgrind --tool=callgrind --callgrind-out-file="$d/cg.%p" --dump-instr=no \
    "$port53d" -c "$d/port53.toml" 2>"$d/valgrind.log" &
PID=$!
for _ in $(seq 150); do
    dig +time=1 +tries=1 @"$addr" lab. SOA >/dev/null 2>&1 && break
    sleep 0.2
done
timeout 60 "$load" -m udp -s "$addr" -d "$d/q.txt" -n 20 -c 1 -q 5 >/dev/null  # warm the cache

allocs() {  # zero, run the batch (command...), dump: prints "operator_new N malloc N"
    callgrind_control -z "$PID" >/dev/null 2>&1
    "$@" >"$d/batch.out" 2>&1
    callgrind_control -d "$PID" >/dev/null 2>&1
    /usr/bin/python3 "$root/tools/bench/callgrind_calls.py" "$(ls -t "$d"/cg.*.* | head -1)"
}
per_query() {  # label small big (batch sizes), then the command without its count
    local label=$1 small=$2 big=$3 a b
    shift 3
    a=$(allocs "$@" "$small")
    b=$(allocs "$@" "$big")
    awk -v l="$label" -v a="$a" -v b="$b" -v n=$((big - small)) 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        printf "%-22s operator new %.3f, malloc %.3f, instructions %.0f per query\n", l,
               (y[2] - x[2]) / n, (y[4] - x[4]) / n, (y[6] - x[6]) / n }'
}
loadgen() {  # mode in-flight count: port53-load sending count queries (n passes of 5 names)
    timeout 120 "$load" -m "$1" -s "$addr" -d "$d/q.txt" -c 1 -q "$2" -n $(($3 / 5))
}
h2() {  # count
    timeout 120 h2load -n "$1" -c 1 -m 50 "$doh_url"
}
echo "port53d $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), 1 worker, cache hits$([ "$console" = 1 ] && echo ', web console on')"
per_query "UDP" 1000 5000 loadgen udp 5
per_query "TCP (50 in flight)" 1000 5000 loadgen tcp 50
per_query "TCP (1 in flight)" 200 1000 loadgen tcp 1
per_query "DoT (50 in flight)" 1000 5000 loadgen dot 50
per_query "DoH/2 (50 streams)" 1000 5000 h2
