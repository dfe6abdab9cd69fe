#!/bin/bash
# A cache that survives restarts (issue 12), measured: fill a resolver's cache with N
# distinct names, restart it, and count cache hits in the first second of replaying the
# same names. port53d with its cache file and without; Unbound with dump_cache/load_cache
# around the restart (what its users script) and without. Also: file size, write and read
# time. Runs in a private network namespace with the loopback lab (tools/lab), bounded:
# every dnsperf run has a count or a time limit, every wait a timeout.
#   tools/bench-cache-file.sh [--port53d PATH] [--names N] [--out DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port53d=$root/build/port53d
ctl=$root/build/port53-ctl
names=100000
out=/tmp/port53-bench-cache-file
orig_args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --port53d) port53d=$2; ctl=$(dirname "$2")/port53-ctl; shift 2 ;;
        --names) names=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "usage: $0 [--port53d PATH] [--names N] [--out DIR]" >&2; exit 2 ;;
    esac
done

# shellcheck source=tools/bench/netns.sh
. "$root/tools/bench/netns.sh"
bench_netns bench-cache-file.sh "${orig_args[@]}"
for t in dnsperf unbound unbound-control dig nsd; do
    command -v $t >/dev/null || { echo "bench-cache-file.sh: $t not found" >&2; exit 1; }
done

rm -rf "$out" && mkdir -p "$out"
lab=$out/lab
bench_lab_up "$lab"

P_ADDR=127.53.0.68
U_ADDR=127.53.0.69
# Caches big enough for every name, for both (Unbound's defaults are 4 MB and 4 MB).
sed -e "s/127.53.0.1:53/$P_ADDR:53/" -e 's/size_mb = 64/size_mb = 256/' \
    -e "s|^\[cache\]|[control]\nsocket = \"$out/p53.sock\"\n\n[cache]|" "$lab/port53.toml" \
    >"$out/without.toml"
sed -e "s|^size_mb = 256|size_mb = 256\nfile = \"$out/cache.dump\"|" "$out/without.toml" \
    >"$out/with.toml"
grep -q "^file = " "$out/with.toml" || { echo "bench-cache-file.sh: config edit failed" >&2; exit 1; }
sed -e "s/^  interface: .*/  interface: $U_ADDR/" -e "s/^  num-threads: .*/  num-threads: 2/" \
    -e "s/^  control-enable: no/  control-enable: yes\n  control-interface: $(echo "$out/ub.sock" | sed 's|/|\\/|g')/" \
    -e "s/^  discard-timeout: 0/  discard-timeout: 0\n  msg-cache-size: 128m\n  rrset-cache-size: 256m\n  key-cache-size: 16m/" \
    -e '/^  pidfile:/d' -e '/^  logfile:/d' "$lab/unbound.conf" >"$out/unbound.conf"

for i in $(seq 1 "$names"); do echo "n$i.wild.example A"; done >"$out/names"

wait_answering() { bench_wait_answering bench-cache-file.sh "$1"; }
stop() { kill -TERM "$PID"; timeout 60 tail --pid="$PID" -f /dev/null; wait "$PID" || true; PID=; }
# At most 200 queries outstanding: under port53d's max_inflight_per_client (256), beyond
# which a client's new cache misses get SERVFAIL, and SERVFAIL is not cached.
fill() {  # addr: every name once
    dnsperf -s "$1" -d "$out/names" -n 1 -c 4 -q 200 -Q 20000 -l 60 2>&1 |
        grep -E "Queries (completed|lost)|Response codes" | tr -s ' ' | paste -sd' '
}
first_second() {  # addr: the same names again, for one second
    dnsperf -s "$1" -d "$out/names" -l 1 -c 4 -q 200 2>&1 | awk '/Queries completed/ {print $3}'
}
p53_stat() {  # result (hit|miss)
    "$ctl" -s "$out/p53.sock" stats |
        awk -v r="$1" -F'[ ]' '$1 ~ "^port53_answer_cache_lookups_total\\{result=\"" r "\"\\}" {s += $2} END {print s + 0}'
}
ub_stat() { unbound-control -c "$out/unbound.conf" stats_noreset | awk -F= -v k="$1" '$1 == k {print $2}'; }
ratio() { awk -v h="$1" -v t="$2" 'BEGIN {printf "%.1f%%", t ? 100 * h / t : 0}'; }

start_p53() {  # config log
    "$port53d" -c "$1" >"$2" 2>&1 &
    PID=$!
    wait_answering $P_ADDR
}
echo "== port53d, $names names"
start_p53 "$out/with.toml" "$out/p53-fill.log"
echo "fill: $(fill $P_ADDR)"
stop
grep -o "cache file .*" "$out/p53-fill.log"
echo "file: $(stat -c %s "$out/cache.dump") bytes"
for run in with without; do
    start_p53 "$out/$run.toml" "$out/p53-$run.log"
    grep -o "cache file .*records loaded.*" "$out/p53-$run.log" || true
    h0=$(p53_stat hit) m0=$(p53_stat miss)
    done_=$(first_second $P_ADDR)
    h=$(($(p53_stat hit) - h0)) m=$(($(p53_stat miss) - m0))
    echo "port53d $run the cache file: first second: $done_ answered, $h hits, $m misses:" \
        "hit ratio $(ratio $h $((h + m)))"
    stop
done

echo "== Unbound $(unbound -V | awk '/^Version/ {print $2}'), $names names"
start_ub() {
    unbound -d -p -c "$out/unbound.conf" >"$out/unbound-$1.log" 2>&1 &
    PID=$!
    wait_answering $U_ADDR
}
start_ub fill
echo "fill: $(fill $U_ADDR)"
t0=$(date +%s%N)
timeout 120 unbound-control -c "$out/unbound.conf" dump_cache >"$out/unbound.dump"
echo "dump_cache: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(stat -c %s "$out/unbound.dump") bytes"
stop
for run in with without; do
    start_ub "$run"
    if [ $run = with ]; then
        t0=$(date +%s%N)
        timeout 120 unbound-control -c "$out/unbound.conf" load_cache <"$out/unbound.dump" >/dev/null
        echo "load_cache: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    fi
    q0=$(ub_stat total.num.queries) h0=$(ub_stat total.num.cachehits)
    done_=$(first_second $U_ADDR)
    q=$(($(ub_stat total.num.queries) - q0)) h=$(($(ub_stat total.num.cachehits) - h0))
    echo "unbound $run dump/load_cache: first second: $done_ answered, $h hits of $q:" \
        "hit ratio $(ratio $h $q)"
    stop
done
