#!/bin/bash
# Resident memory per cached signed name (issue 13): a fresh resolver with a cache big enough
# for every name answers N1 and then N2 distinct names below the lab's signed wildcard
# (n1.wild.example ... : NSEC3, Ed25519, each answer signed and proved), and its RSS is read
# at start (after it answers), after N1 and after N2 names. Per name: (RSS - RSS at start) / N
# and the step between the two fills, (RSS N2 - RSS N1) / (N2 - N1), which leaves out what a
# first fill allocates once (arenas, the keys, the zones' proofs). port53d and Unbound, same
# lab, same names, one worker thread each. Private network namespace (only lo), every load
# bounded.
# --zone walk asks names of walk.lab. instead (10,000 distinct names, each its own A RRset
# and RRSIG, ECDSAP256SHA256, NSEC): no wildcard, so every name is an RRset of its own in
# the cache as well as an answer (N2 at most 10,000).
#   tools/bench-memory.sh [--port53d PATH] [--names N1,N2] [--zone wild|walk] [--out DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port53d=$root/build/port53d
sizes=10000,100000
zone=wild
out=/tmp/port53-bench-memory
orig_args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --port53d) port53d=$2; shift 2 ;;
        --names) sizes=$2; shift 2 ;;
        --zone) zone=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "usage: $0 [--port53d PATH] [--names N1,N2] [--zone wild|walk] [--out DIR]" >&2; exit 2 ;;
    esac
done
IFS=, read -r n1 n2 <<<"$sizes"
[ "${n1:-0}" -gt 0 ] && [ "${n2:-0}" -gt "$n1" ] || { echo "--names: N1,N2 with N2 > N1" >&2; exit 2; }
case $zone in
    wild) ;;
    walk) [ "$n2" -lt 10000 ] || { echo "--zone walk: N2 below 10000 (one name warms up)" >&2; exit 2; } ;;
    *) echo "--zone: wild or walk" >&2; exit 2 ;;
esac

# shellcheck source=tools/bench/netns.sh
. "$root/tools/bench/netns.sh"
bench_netns bench-memory.sh "${orig_args[@]}"
for t in dnsperf unbound dig nsd; do
    command -v $t >/dev/null || { echo "bench-memory.sh: $t not found" >&2; exit 1; }
done

rm -rf "$out" && mkdir -p "$out"
lab=$out/lab
bench_lab_up "$lab"

P_ADDR=127.53.0.68
U_ADDR=127.53.0.69
# Caches big enough for every name (nothing evicted), one worker each.
sed -e "s/127.53.0.1:53/$P_ADDR:53/" -e 's/size_mb = 64/size_mb = 512/' \
    -e 's/^threads = .*/threads = 1/' "$lab/port53.toml" >"$out/port53.toml"
printf '\n[control]\nsocket = "%s"\n' "$out/p53.sock" >>"$out/port53.toml"
sed -e "s/^  interface: .*/  interface: $U_ADDR/" -e "s/^  num-threads: .*/  num-threads: 1/" \
    -e "s/^  discard-timeout: 0/  discard-timeout: 0\n  msg-cache-size: 256m\n  rrset-cache-size: 512m\n  key-cache-size: 16m/" \
    -e '/^  pidfile:/d' -e '/^  logfile:/d' "$lab/unbound.conf" >"$out/unbound.conf"
grep -q "^threads = 1" "$out/port53.toml" && grep -q "rrset-cache-size: 512m" "$out/unbound.conf" ||
    { echo "bench-memory.sh: config edit failed" >&2; exit 1; }

if [ "$zone" = walk ]; then
    # The zone's own names (tools/lab/zones.py builds them the same at every start).
    PYTHONPATH=$root/tools/lab /usr/bin/python3 -c 'import zones
for l in zones.many_names(zones.WALK_NAMES, seed=13): print(l.split()[0] + "." + zones.WALK_ZONE + " A")' >"$out/walk"
    warm=$(sed -n '$s/ A$//p' "$out/walk")
    sed -n "1,${n1}p" "$out/walk" >"$out/names1"
    sed -n "$((n1 + 1)),${n2}p" "$out/walk" >"$out/names2"
else
    warm=warm1.wild.example
    for i in $(seq 1 "$n1"); do echo "n$i.wild.example A"; done >"$out/names1"
    for i in $(seq $((n1 + 1)) "$n2"); do echo "n$i.wild.example A"; done >"$out/names2"
fi

wait_answering() { bench_wait_answering bench-memory.sh "$1"; }
stop() { kill -TERM "$PID"; timeout 60 tail --pid="$PID" -f /dev/null; wait "$PID" || true; PID=; }
# At most 200 queries outstanding: under port53d's max_inflight_per_client (256).
fill() {  # addr file: every name once; prints NOERROR count
    dnsperf -s "$1" -d "$2" -n 1 -c 4 -q 200 -Q 20000 -l 120 2>&1 |
        awk '/Queries lost/ {lost=$3} /Response codes/ {for (i=3;i<=NF;i++) if ($i ~ /^NOERROR/) ok=$(i+1)}
             END {gsub(/[(]/, "", ok); printf "%s NOERROR, %s lost", ok + 0, lost + 0}'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
per_name() {  # kb_after kb_before names
    awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.3f", (a - b) * 1024 / n / 1000}'
}
measure() {  # name addr
    wait_answering "$2"
    # The start-up state: one signed answer of the zone (its keys, NSEC3 parameters).
    dig +time=2 +tries=1 @"$2" "$warm" A >/dev/null
    sleep 0.5
    local r0 r1 r2 f1 f2
    r0=$(rss_kb)
    f1=$(fill "$2" "$out/names1")
    sleep 0.5
    r1=$(rss_kb)
    f2=$(fill "$2" "$out/names2")
    sleep 0.5
    r2=$(rss_kb)
    echo "$1: start $r0 kB; $n1 names ($f1) $r1 kB; $n2 names (+$f2) $r2 kB"
    echo "$1: per cached name (kB = 1000 B): $(per_name "$r1" "$r0" "$n1") after $n1," \
        "$(per_name "$r2" "$r0" "$n2") after $n2, $(per_name "$r2" "$r1" $((n2 - n1))) between"
}

"$port53d" -c "$out/port53.toml" >"$out/port53d.log" 2>&1 &
PID=$!
measure "port53 $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" $P_ADDR
# What the caches hold by their own count (keys, values and the bookkeeping they charge).
"$(dirname "$port53d")/port53-ctl" -s "$out/p53.sock" stats | grep -E '^port53_cache_(bytes|entries)' || true
stop
unbound -d -p -c "$out/unbound.conf" >"$out/unbound.log" 2>&1 &
PID=$!
measure "Unbound $(unbound -V | awk '/^Version/ {print $2}')" $U_ADDR
stop
