#!/bin/bash
# port53d vs Unbound, PowerDNS Recursor and Knot Resolver on the loopback lab:
# cache-hit throughput and latency,
# cold-cache resolution and its upstream queries, user-space instructions per
# cache hit and per cold validated name, upstream queries saved by aggressive
# negative caching (random subdomains), the cold walk of a 10,000-name zone.
# See usage().
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: tools/bench.sh [options]

Compares port53d with its peers, Unbound, PowerDNS Recursor and Knot Resolver
(--peers), on the loopback lab (tools/lab) inside a private network namespace
that this script creates (only lo exists there: nothing can leave the machine).
All resolvers use the lab's root hints and trust anchor (all validate), the same
number of worker threads, and a fresh start for every scenario. Missing peers
are installed from Debian first (apt-get, before entering the namespace; their
services are kept from starting). Configs: tools/bench/peers.sh.

Before measuring, every resolver is asked each lab case once (DO bit, RD; TCP
on truncation) and its rcode and AD bit compared with the lab's expectation
(tools/lab/zones.py): the table's first rows. Random-subdomain runs (randsub)
are port53d and Unbound only.

Scenarios (per thread count):
  cache-hit   warm the cache with the lab's case names (two passes), then dnsperf
              for --seconds, saturating (--clients sockets, 100 queries
              outstanding, at most --max-qps); then the same names at a fixed
              --latency-qps rate, for latency at a load both sustain
  cold-cache  a fresh resolver gets --cold-names distinct names below the lab's
              wildcards (*.wild.sec.lab, *.wild.example) plus every lab case, once.
              Upstream queries are counted exactly by an nftables counter in this
              namespace (output hook: UDP to port 53 and TCP SYNs to port 53 of
              127.100.0.0/16, the lab's authorities), reset before each resolver
              starts: start-up (until it answers) and the run apart, per name sent
  callgrind   (1 thread, under valgrind) user-space instructions per cache hit:
              after warm-up the counters are zeroed, then a small and a big batch
              of hits are sent, each followed by a dump (which zeroes again);
              Ir per hit = (Ir big - Ir small) / (queries big - queries small).
              Done for the case names and, apart, for 200 names below the
              wildcards (Unbound answers those off its fast path)
  cold-callgrind
              (1 thread, under valgrind) user-space instructions per cold validated
              name: a fresh resolver under callgrind, dumped once it answers
              (start-up), again after 2 warm-up cold names (one below each
              wildcard: the zones' keys and proofs get cached), then
              --cold-callgrind-names other distinct wildcard names (all NOERROR
              with AD), 5 outstanding, in two batches (below wild.sec.lab.: NSEC,
              RSASHA512; below wild.example.: NSEC3, Ed25519), each dumped:
              Ir per name = the batches' Ir / answers. Every name is then asked
              again from the cache to count the AD bits; upstream queries are
              counted as above
  walk        the cold walk of walk.lab. (tools/lab/zones.py): a fresh resolver gets
              each of the zone's 10,000 names (each with one A record; no wildcard,
              so nothing is free through aggressive NSEC) once, in a random order,
              dnsperf -n 1 -c --walk-clients -q --walk-outstanding -t 5: wall time of
              the whole walk, queries/s, resolver CPU per name, upstream queries
              per name (counted as in cold-cache, start-up apart); then every name
              again from the cache (DO bit, 16 at a time): NOERROR with AD and the
              zone's address, per name
  walk-callgrind
              (1 thread, under valgrind; part of walk) user-space instructions per
              cold validated name of walk.lab., as cold-callgrind: start-up and one
              warm-up name of the zone dumped apart, then a batch of
              --walk-callgrind-names other names of the zone (dnsperf -c 1 -q 5)
  randsub     random-subdomain load: upstream queries saved by aggressive use of
              the validated cache (RFC 8198). Per zone of --randsub-zones, a fresh
              resolver gets --randsub-names distinct random names that do not
              exist (12 random lowercase letters directly below the zone: all
              NXDOMAIN), dnsperf -n 1 -c 4 -q --randsub-outstanding, and that four
              times: port53d with resolver.aggressive_nsec = true and = false, Unbound
              with aggressive-nsec: yes and no (the lab configs plus that one line).
              Upstream queries counted as in cold-cache (start-up apart); then
              10 names of the run (from the cache) and 10 fresh ones are asked
              with dig +dnssec: status and AD counted (fresh ones' upstream apart)

Options:
  --peers LIST           peers beside port53d, comma-separated, from unbound,
                         pdns-recursor, knot-resolver (default all three)
  --threads LIST         worker threads for every resolver: 1, 2 or 1,2 (default 1,2);
                         PowerDNS Recursor: threads=N, no distributor thread;
                         Knot Resolver: N kresd processes sharing cache and address
  --seconds S            length of each timed load (default 10)
  --clients N            dnsperf -c, client sockets (default 16)
  --max-qps Q            dnsperf -Q cap of the saturating run (default 400000)
  --latency-qps Q        rate of the fixed-rate latency run; 0 skips it (default 20000)
  --cold-names N         distinct names in the cold-cache file (default 4000)
  --callgrind-queries N  queries in the big callgrind batch (default 20000)
  --cold-callgrind-names N
                         names in the cold-callgrind batch; 0 skips it (default 500)
  --walk-names N         names of walk.lab. in the walk (default 10000: all of them)
  --walk-clients N       dnsperf -c of the walk (default 10)
  --walk-outstanding Q   dnsperf -q of the walk (default 100)
  --walk-callgrind-names N
                         names in the walk-callgrind batch; 0 skips it (default 500)
  --no-callgrind         skip every callgrind measurement
  --randsub-names N      random names per zone in randsub (default 2000)
  --randsub-zones LIST   zones for randsub (default sec.lab.,many.lab.,many.example.:
                         NSEC with 9 names, NSEC with 200, NSEC3 with 200)
  --randsub-outstanding Q
                         dnsperf -q in randsub (default 20; -c 4). Few, so that
                         aggressive use can work from the first answers; but with
                         -c 1 -q 10, dnsperf 2.10's sender often misses the wake-up
                         when all outstanding answers come back within microseconds
                         (it re-checks before the receiver counts them) and idles up
                         to 100 ms each time: queries/s then measures dnsperf
  --only LIST            scenarios to run, comma-separated: hit (cache-hit and its
                         callgrind), cold (cold-cache and cold-callgrind), randsub,
                         walk (walk and walk-callgrind: ~1.5 min for four
                         resolvers); default hit,cold,randsub,walk
  --edns                 send EDNS0 queries (dnsperf -e); default: plain queries
  --loadgen WHICH        load generator of the cache-hit saturating run: dnsperf (default),
                         port53-load (tools/loadgen: sendmmsg/recvmmsg batches, -c sockets,
                         100 outstanding each, --loadgen-threads threads) or both (each
                         reported apart); either's own CPU is reported beside it
  --loadgen-threads N    port53-load -T (default 1)
  --port53-load PATH     the generator (default build/port53-load; copied like the daemon)
  --pin                  resolver on CPU 0, load generators on CPU 1 (taskset; needs 2 CPUs)
  --quick                smoke test: 2 s loads, 1 thread, 500 cold names, 3000 callgrind
                         queries, 100 cold-callgrind names, 500 randsub names,
                         2000 walk names, 100 walk-callgrind names
  --port53d PATH         daemon to test (default build/port53d); copied into the
                         results directory first, so a rebuild cannot change it mid-run
  --out DIR              results directory (default /tmp/port53-bench/<date>-<time>)
  --lab-src DIR          the lab's Python sources (default tools/lab); copied into
                         the results directory first, like the daemon
  --port53-extra FILE    TOML appended to port53d's configs (tables only, e.g. a
                         [blocklist]): the same runs with that setting on
  --soak [SECONDS]       instead of the comparison: the bounded soak test of port53d
                         (tools/soak.sh: mixed load plus garbage, default 60 s)
  -h, --help             this text

Output: a Markdown table on stdout (also DIR/table.md); dnsperf's reports in
DIR/raw/*.dnsperf.txt (per-query lines in *.perquery.gz), one JSON per run in
DIR/runs/, callgrind dumps in DIR/callgrind/, resolver logs in DIR/logs/.
Needs root (or unprivileged user namespaces), nsd, dnsperf, dig, valgrind, nft
(nftables, for the cold and randsub scenarios) and python3-dnspython
(tools/install-deps.sh test installs them), and the peers' packages (unbound,
pdns-recursor, knot-resolver: installed here when missing, as root).
EOF
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--soak" ]; then
    shift
    exec "$ROOT/tools/soak.sh" "$@"
fi
export PYTHONDONTWRITEBYTECODE=1
HELPER=(/usr/bin/python3 "$ROOT/tools/bench/bench.py")
WALK_ZONE=walk.lab.
PORT53_ADDR=127.53.0.1
# shellcheck source=tools/bench/peers.sh
. "$ROOT/tools/bench/peers.sh"
# shellcheck source=tools/bench/resolvers.sh
. "$ROOT/tools/bench/resolvers.sh"
# shellcheck source=tools/bench/cold.sh
. "$ROOT/tools/bench/cold.sh"
# shellcheck source=tools/bench/randsub.sh
. "$ROOT/tools/bench/randsub.sh"

threads_list=1,2
peers=unbound,pdns-recursor,knot-resolver
seconds=10
clients=16
max_qps=400000
latency_qps=20000
cold_names=4000
cg_queries=20000
cold_cg_names=500
cold_cg_given=0
randsub_names=2000
randsub_given=0
randsub_zones=sec.lab.,many.lab.,many.example.
randsub_q=20
walk_names=10000
walk_given=0
walk_clients=10
walk_q=100
walk_cg_names=500
walk_cg_given=0
only=hit,cold,randsub,walk
callgrind=1
edns=()
quick=0
port53d=$ROOT/build/port53d
port53_load=$ROOT/build/port53-load
loadgen=dnsperf
loadgen_threads=1
pin=0
lab_src=$ROOT/tools/lab
p53_extra=
out=
threads_given=0
orig_args=("$@")

while [ $# -gt 0 ]; do
    case "$1" in
        --threads) threads_list=$2; threads_given=1; shift 2 ;;
        --peers) peers=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --max-qps) max_qps=$2; shift 2 ;;
        --latency-qps) latency_qps=$2; shift 2 ;;
        --cold-names) cold_names=$2; shift 2 ;;
        --callgrind-queries) cg_queries=$2; shift 2 ;;
        --cold-callgrind-names) cold_cg_names=$2; cold_cg_given=1; shift 2 ;;
        --randsub-names) randsub_names=$2; randsub_given=1; shift 2 ;;
        --randsub-zones) randsub_zones=$2; shift 2 ;;
        --randsub-outstanding) randsub_q=$2; shift 2 ;;
        --walk-names) walk_names=$2; walk_given=1; shift 2 ;;
        --walk-clients) walk_clients=$2; shift 2 ;;
        --walk-outstanding) walk_q=$2; shift 2 ;;
        --walk-callgrind-names) walk_cg_names=$2; walk_cg_given=1; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --no-callgrind) callgrind=0; shift ;;
        --edns) edns=(-e); shift ;;
        --loadgen) loadgen=$2; shift 2 ;;
        --loadgen-threads) loadgen_threads=$2; shift 2 ;;
        --port53-load) port53_load=$2; shift 2 ;;
        --pin) pin=1; shift ;;
        --quick) quick=1; shift ;;
        --port53d) port53d=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --lab-src) lab_src=$2; shift 2 ;;
        --port53-extra) p53_extra=$(realpath "$2"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$quick" = 1 ]; then
    seconds=2; cold_names=500; cg_queries=3000
    [ "$threads_given" = 1 ] || threads_list=1
    [ "$cold_cg_given" = 1 ] || cold_cg_names=100
    [ "$randsub_given" = 1 ] || randsub_names=500
    [ "$walk_given" = 1 ] || walk_names=2000
    [ "$walk_cg_given" = 1 ] || walk_cg_names=100
fi
for v in "$seconds" "$clients" "$max_qps" "$latency_qps" "$cold_names" "$cg_queries" "$cold_cg_names" \
         "$randsub_names" "$randsub_q" "$walk_names" "$walk_clients" "$walk_q" "$walk_cg_names"; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "bench.sh: not a number: $v" >&2; exit 2; }
done
case "$loadgen" in dnsperf|port53-load|both) ;;
    *) echo "bench.sh: --loadgen wants dnsperf, port53-load or both" >&2; exit 2 ;; esac
[[ "$loadgen_threads" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --loadgen-threads wants a number" >&2; exit 2; }
[ "$pin" = 0 ] || [ "$(nproc)" -ge 2 ] || { echo "bench.sh: --pin needs 2 CPUs" >&2; exit 2; }
[[ "$threads_list" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "bench.sh: --threads wants e.g. 1,2" >&2; exit 2; }
[ "$seconds" -ge 1 ] && [ "$cg_queries" -ge 100 ] || { echo "bench.sh: --seconds >= 1, --callgrind-queries >= 100" >&2; exit 2; }
[ "$cold_cg_names" -le 20000 ] || { echo "bench.sh: --cold-callgrind-names at most 20000" >&2; exit 2; }
[ "$randsub_names" -ge 1 ] && [ "$randsub_names" -le 100000 ] || {
    echo "bench.sh: --randsub-names from 1 to 100000" >&2; exit 2; }
[ "$randsub_q" -ge 1 ] && [ "$randsub_q" -le 1000 ] || {
    echo "bench.sh: --randsub-outstanding from 1 to 1000" >&2; exit 2; }
[ "$walk_names" -ge 1 ] && [ "$walk_names" -le 10000 ] && [ "$walk_cg_names" -le 9999 ] || {
    echo "bench.sh: --walk-names from 1 to 10000, --walk-callgrind-names at most 9999" >&2; exit 2; }
[ "$walk_clients" -ge 1 ] && [ "$walk_q" -ge "$walk_clients" ] && [ "$walk_q" -le 1000 ] || {
    echo "bench.sh: --walk-clients at least 1, --walk-outstanding from that to 1000" >&2; exit 2; }
[[ "$randsub_zones" =~ ^[a-z0-9.-]+(,[a-z0-9.-]+)*$ ]] || {
    echo "bench.sh: --randsub-zones wants e.g. sec.lab.,many.example." >&2; exit 2; }
run_hit=0; run_cold=0; run_randsub=0; run_walk=0
IFS=, read -r -a only_arr <<<"$only"
for o in "${only_arr[@]}"; do
    case "$o" in
        hit) run_hit=1 ;;
        cold) run_cold=1 ;;
        randsub) run_randsub=1 ;;
        walk) run_walk=1 ;;
        *) echo "bench.sh: --only wants a comma-separated list of hit, cold, randsub, walk" >&2; exit 2 ;;
    esac
done
peer_kinds=$(peers_parse "$peers") || exit 2
read -r -a PEERS <<<"$peer_kinds"
KINDS=(port53 "${PEERS[@]}")
HAVE_UNBOUND=0
for k in "${PEERS[@]}"; do [ "$k" = unbound ] && HAVE_UNBOUND=1; done
run_cold_cg=0
[ "$run_cold" = 1 ] && [ "$callgrind" = 1 ] && [ "$cold_cg_names" -gt 0 ] && run_cold_cg=1
run_walk_cg=0
[ "$run_walk" = 1 ] && [ "$callgrind" = 1 ] && [ "$walk_cg_names" -gt 0 ] && run_walk_cg=1
run_hit_cg=0
[ "$run_hit" = 1 ] && [ "$callgrind" = 1 ] && run_hit_cg=1

# ---- into a private network namespace (never fall back to the host network)
if [ -z "${PORT53_BENCH_IN_NETNS:-}" ]; then
    peers_install "${PEERS[@]}" || exit 1
    export PORT53_BENCH_IN_NETNS=1
    userns=()
    [ "$(id -u)" = 0 ] || userns=(--map-root-user)
    exec unshare --net "${userns[@]}" -- "$0" "${orig_args[@]}"
fi
ip link set lo up
others=$(ip -o link show | awk -F': ' '$2 != "lo" {print $2}')
if [ -n "$others" ]; then
    echo "bench.sh: network namespace has interfaces besides lo ($others): refusing to run" >&2
    exit 1
fi

need=(dnsperf dig nsd ldns-signzone)
for k in "${PEERS[@]}"; do need+=("$(peer_binary "$k")"); done
[ "$callgrind" = 1 ] && need+=(valgrind callgrind_control)
[ "$run_cold" = 1 ] || [ "$run_randsub" = 1 ] || [ "$run_walk" = 1 ] && need+=(nft)
for t in "${need[@]}"; do
    command -v "$t" >/dev/null || { echo "bench.sh: $t not found (apt-get install it)" >&2; exit 1; }
done
[ "$loadgen" = dnsperf ] || [ -x "$port53_load" ] || {
    echo "bench.sh: no port53-load at $port53_load (build it or give --port53-load)" >&2; exit 1; }
[ -x "$port53d" ] || { echo "bench.sh: no port53d at $port53d (build it or give --port53d)" >&2; exit 1; }
[ -f "$lab_src/lab.py" ] || { echo "bench.sh: no lab.py in $lab_src" >&2; exit 1; }

# ---- upstream query counter: nftables, in this namespace only (checked above:
# only lo here). Output hook, so every query a resolver sends to a lab
# authority counts once, answered or not (the dead server's too); TCP counts
# connections (SYN without ACK). Nothing else here sends to 127.100.0.0/16
# while a resolver runs (the lab's own readiness checks end before).
NFT_TABLE=p53bench
if [ "$run_cold" = 1 ] || [ "$run_randsub" = 1 ] || [ "$run_walk" = 1 ]; then
    nft -f - <<EOF || { echo "bench.sh: could not set up the nftables counters" >&2; exit 1; }
table ip $NFT_TABLE {
    counter upstream_udp { }
    counter upstream_tcp_syn { }
    chain out {
        type filter hook output priority 0; policy accept;
        ip daddr 127.100.0.0/16 udp dport 53 counter name "upstream_udp"
        ip daddr 127.100.0.0/16 tcp dport 53 tcp flags & (syn | ack) == syn counter name "upstream_tcp_syn"
    }
}
EOF
fi
# prints "UDP TCP-SYN" counted since the last call, and zeroes the counters
upstream_take() {
    nft reset counters table ip "$NFT_TABLE" | awk '
        $1 == "counter" {c = $2} $1 == "packets" {n[c] = $2}
        END {
            if (!("upstream_udp" in n) || !("upstream_tcp_syn" in n)) exit 1
            print n["upstream_udp"], n["upstream_tcp_syn"]
        }' || { echo "bench.sh: could not read the nftables counters" >&2; exit 1; }
}

out=${out:-/tmp/port53-bench/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"/{raw,runs,conf,logs,callgrind,queries}
out=$(cd "$out" && pwd)
lab=$out/lab
cp "$port53d" "$out/port53d"
if [ "$loadgen" != dnsperf ]; then cp "$port53_load" "$out/port53-load"; fi
PORT53_LOAD=$out/port53-load
# --pin: the resolver on CPU 0, every load generator on CPU 1
PIN_RESOLVER=(); PIN_LOAD=()
if [ "$pin" = 1 ]; then PIN_RESOLVER=(taskset -c 0); PIN_LOAD=(taskset -c 1); fi
PORT53D=$out/port53d
mkdir -p "$out/lab-src"
cp "$lab_src"/*.py "$out/lab-src/"
LAB=(/usr/bin/python3 "$out/lab-src/lab.py")
clk_tck=$(getconf CLK_TCK)

RPID=
cleanup() {
    set +e
    [ -n "$RPID" ] && stop_resolver
    "${LAB[@]}" down --dir "$lab" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# ---- the lab
log "results in $out"
"${LAB[@]}" up --dir "$lab" >"$out/logs/lab-up.txt" 2>&1 || {
    cat "$out/logs/lab-up.txt" >&2; exit 1; }
grep -q "^root_hints = \"$lab/root.hints\"" "$lab/port53.toml" &&
    grep -q '^allow_loopback_upstream = true' "$lab/port53.toml" || {
    echo "bench.sh: $lab/port53.toml does not set the lab's root hints: refusing to run" >&2; exit 1; }

IFS=, read -r -a threads_arr <<<"$threads_list"
conf_for() {  # threads -> writes conf/port53-tN.toml and the peers' configs
    local t=$1
    sed "s/^threads = .*/threads = $t/" "$lab/port53.toml" >"$out/conf/port53-t$t.toml"
    if [ -n "$p53_extra" ]; then cat "$p53_extra" >>"$out/conf/port53-t$t.toml"; fi
    grep -q "^threads = $t\$" "$out/conf/port53-t$t.toml" || {
        echo "bench.sh: could not set the thread count in the lab's configs" >&2; exit 1; }
    # so-reuseport: the lab turns it off for its tests; Unbound's default (yes)
    # is how it is meant to run several threads, and what port53d does too
    peer_confs_for "$t" "${PEERS[@]}" || exit 1
}
for t in "${threads_arr[@]}"; do conf_for "$t"; done
[ "$callgrind" = 1 ] && conf_for 1
agg_confs_for() {  # threads -> conf/{port53-tN,unbound-tN}-{agg,noagg}.*: the one line apart
    local t=$1 v b
    for v in agg noagg; do
        b=true; [ "$v" = noagg ] && b=false
        sed "s/^\[resolver\]\$/[resolver]\naggressive_nsec = $b/" \
            "$out/conf/port53-t$t.toml" >"$out/conf/port53-t$t-$v.toml"
        [ "$(grep -c '^aggressive_nsec = ' "$out/conf/port53-t$t-$v.toml")" = 1 ] || {
            echo "bench.sh: could not set aggressive NSEC in port53d's config" >&2; exit 1; }
        [ "$HAVE_UNBOUND" = 1 ] || continue
        b=yes; [ "$v" = noagg ] && b=no
        sed "s/^server:\$/server:\n  aggressive-nsec: $b/" \
            "$out/conf/unbound-t$t.conf" >"$out/conf/unbound-t$t-$v.conf"
        [ "$(grep -c '^  aggressive-nsec: ' "$out/conf/unbound-t$t-$v.conf")" = 1 ] || {
            echo "bench.sh: could not set aggressive NSEC in unbound.conf" >&2; exit 1; }
    done
}
declare -A randsub_denial=()
if [ "$run_randsub" = 1 ]; then
    for t in "${threads_arr[@]}"; do agg_confs_for "$t"; done
    IFS=, read -r -a randsub_arr <<<"$randsub_zones"
    for z in "${randsub_arr[@]}"; do
        z=${z%.}.
        zf=$lab/zones/${z%.}.zone.signed
        [ -f "$zf" ] || { echo "bench.sh: randsub: $z is no signed zone of the lab ($zf)" >&2; exit 1; }
        randsub_denial[$z]=$("${HELPER[@]}" randsub --zone "$z" --names "$randsub_names" \
            --out "$out/queries/randsub-${z%.}.txt" --check "$out/queries/randsub-${z%.}-again.txt" \
            --fresh "$out/queries/randsub-${z%.}-fresh.txt" --zone-file "$zf")
        case "${randsub_denial[$z]}" in
            "NSEC "*|"NSEC3 "*) ;;
            *) log "randsub: $z denies with ${randsub_denial[$z]}: aggressive use does not apply" ;;
        esac
    done
fi

"${HELPER[@]}" queries --cases "$lab/cases.json" --hit "$out/queries/hit.txt" \
    --wild "$out/queries/wild.txt" --cold "$out/queries/cold.txt" --cold-names "$cold_names" \
    --cold-cg "$out/queries/cold-callgrind" \
    --cold-cg-names "$cold_cg_names" >&2
hit_lines=$(wc -l <"$out/queries/hit.txt")
if [ "$run_walk" = 1 ]; then
    "${HELPER[@]}" walk-queries --lab-src "$out/lab-src" --zone "$WALK_ZONE" --names "$walk_names" \
        --out "$out/queries/walk.txt" --cg "$out/queries/walk-callgrind" --cg-names "$walk_cg_names" >&2
fi

scenario_hit() {  # kind threads
    local kind=$1 t=$2 addr c0 c1 r0 name tt0 tt1
    addr=$(addr_of "$kind")
    log "cache-hit: $kind, $t thread(s)"
    start_resolver "$kind" "$t" "$kind-t$t-hit"
    warm "$kind" "$t" "t$t"
    sleep 0.5
    if [ "$loadgen" != port53-load ]; then
        r0=$(rss); c0=$(cpu_ticks); tt0=$(thread_ticks)
        name=hit-t$t-$kind
        perf "$name" "$addr" "$out/queries/hit.txt" -l "$seconds" -Q "$max_qps" \
            -n "$(runs_for "$max_qps" "$seconds")" -c "$clients"
        c1=$(cpu_ticks); tt1=$(thread_ticks)
        parse "$name" hit "$kind" "$t" cpu_ticks=$((c1 - c0)) rss_warm_kb="$r0" rss_end_kb="$(rss)" hwm_kb="$(hwm)" \
            "thread_ticks_before=$tt0" "thread_ticks_after=$tt1"
    fi
    if [ "$loadgen" != dnsperf ]; then
        # the same load from port53-load: as fast as 100 outstanding per socket allow
        [ "$loadgen" = both ] && sleep 0.5
        r0=$(rss); c0=$(cpu_ticks); tt0=$(thread_ticks)
        name=hit-load-t$t-$kind
        loadperf "$name" "$addr" "$out/queries/hit.txt" -l "$seconds" -c "$clients" -q 100 \
            -T "$loadgen_threads"
        c1=$(cpu_ticks); tt1=$(thread_ticks)
        parse "$name" hit-load "$kind" "$t" cpu_ticks=$((c1 - c0)) rss_warm_kb="$r0" rss_end_kb="$(rss)" \
            hwm_kb="$(hwm)" "thread_ticks_before=$tt0" "thread_ticks_after=$tt1"
    fi
    if [ "$latency_qps" -gt 0 ]; then
        sleep 0.5
        c0=$(cpu_ticks)
        name=latency-t$t-$kind
        perf "$name" "$addr" "$out/queries/hit.txt" -l "$seconds" -Q "$latency_qps" \
            -n "$(runs_for "$latency_qps" "$seconds")" -c "$clients"
        c1=$(cpu_ticks)
        parse "$name" latency "$kind" "$t" cpu_ticks=$((c1 - c0)) rate="$latency_qps" \
            rss_end_kb="$(rss)" hwm_kb="$(hwm)"
    fi
    stop_resolver
}

scenario_cold() {  # kind threads
    local kind=$1 t=$2 addr c0 c1 name=cold-t$2-$1 up_start up_run
    addr=$(addr_of "$kind")
    log "cold-cache: $kind, $t thread(s)"
    upstream_take >/dev/null
    start_resolver "$kind" "$t" "$kind-t$t-cold"
    up_start=$(upstream_take)
    c0=$(cpu_ticks)
    perf "$name" "$addr" "$out/queries/cold.txt" -n 1 -l "$seconds" -c "$clients" -t 5
    c1=$(cpu_ticks)
    up_run=$(upstream_take)
    parse "$name" cold "$kind" "$t" cpu_ticks=$((c1 - c0)) rss_end_kb="$(rss)" hwm_kb="$(hwm)"
    "${HELPER[@]}" upstream --out "$out/runs/$name.json" up_startup "$up_start" up_run "$up_run"
    stop_resolver
}

scenario_callgrind() {  # kind
    local kind=$1 addr pid n_small set size i=0
    local -A dump=()
    addr=$(addr_of "$kind")
    n_small=$((cg_queries / 10))
    log "callgrind: $kind, 1 thread, $n_small + $cg_queries cache hits on lab cases, the same on wildcard names"
    local vg=(valgrind --tool=callgrind --vgdb=yes --vgdb-prefix="$out/callgrind/vgdb-$kind"
              --callgrind-out-file="$out/callgrind/$kind.%p.out" --dump-instr=no)
    local ctl=(callgrind_control --vgdb-prefix="$out/callgrind/vgdb-$kind")
    start_resolver "$kind" 1 "$kind-callgrind" "${vg[@]}"
    pid=$RPID
    warm "$kind" 1 callgrind
    perf "warm-wild-callgrind-$kind" "$addr" "$out/queries/wild.txt" -n 2 -c 1 -q 20 -t 10 -l 60
    "${ctl[@]}" --zero "$pid" >>"$out/logs/$kind-callgrind.ctl" 2>&1
    # Each batch is followed by a dump, which also zeroes the counters:
    # dump k holds exactly batch k (plus the idle loop while it ran).
    for set in cases wild; do
        for size in small big; do
            i=$((i + 1))
            # few outstanding queries: nothing may be dropped while valgrind is slow
            perf "callgrind-$set-$size-$kind" "$addr" "$out/queries/callgrind-$set-$size.txt" \
                -n 1 -c 1 -q 10 -t 20 -l 600
            "${ctl[@]}" --dump="$set-$size" "$pid" >>"$out/logs/$kind-callgrind.ctl" 2>&1
            dump[$set-$size]=$out/callgrind/$kind.$pid.out.$i
        done
    done
    stop_resolver
    parse "warm-wild-callgrind-$kind" warm-wild-callgrind "$kind" 1
    for set in cases wild; do
        parse "callgrind-$set-small-$kind" "callgrind-$set-small" "$kind" 1
        parse "callgrind-$set-big-$kind" "callgrind-$set-big" "$kind" 1
        "${HELPER[@]}" callgrind --small "${dump[$set-small]}" --big "${dump[$set-big]}" \
            --small-run "$out/runs/callgrind-$set-small-$kind.json" \
            --big-run "$out/runs/callgrind-$set-big-$kind.json" \
            --out "$out/runs/callgrind-$set-$kind.json" \
            --set scenario="callgrind-$set" resolver="$kind" threads=1
    done
}

# Each lab case once, cold (DO, RD, TCP on truncation): rcode and AD against
# the lab's expectation, before anything is measured.
scenario_check() {  # kind threads
    local kind=$1 t=$2
    log "lab cases: $kind, $t thread(s), each case once (rcode, AD)"
    start_resolver "$kind" "$t" "$kind-t$t-check"
    "${HELPER[@]}" check-cases --cases "$lab/cases.json" --addr "$(addr_of "$kind")" \
        --raw "$out/raw/check-$kind.txt" --out "$out/runs/check-$kind.json" \
        --set scenario=check resolver="$kind" threads="$t" >&2 ||
        log "lab cases: $kind differs from the lab's expectation (see $out/raw/check-$kind.txt)"
    stop_resolver
}

# ---- run
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for kind in "${KINDS[@]}"; do scenario_check "$kind" "${threads_arr[0]}"; sleep 0.5; done
for t in "${threads_arr[@]}"; do
    for kind in "${KINDS[@]}"; do
        if [ "$run_hit" = 1 ]; then
            scenario_hit "$kind" "$t"
            sleep 1
        fi
        if [ "$run_cold" = 1 ]; then
            scenario_cold "$kind" "$t"
            sleep 1
        fi
        if [ "$run_walk" = 1 ]; then
            scenario_walk "$kind" "$t"
            sleep 1
        fi
    done
    if [ "$run_randsub" = 1 ]; then
        for i in "${!randsub_arr[@]}"; do
            z=${randsub_arr[$i]}
            for kind in port53 unbound; do
                [ "$kind" = unbound ] && [ "$HAVE_UNBOUND" = 0 ] && continue
                for agg in yes no; do scenario_randsub "$kind" "$t" "${z%.}." "$agg" "$i"; sleep 0.5; done
            done
        done
    fi
done
if [ "$run_cold_cg" = 1 ]; then
    for kind in "${KINDS[@]}"; do scenario_cold_callgrind "$kind"; sleep 1; done
fi
if [ "$run_walk_cg" = 1 ]; then
    for kind in "${KINDS[@]}"; do scenario_walk_callgrind "$kind"; sleep 1; done
fi
if [ "$run_hit_cg" = 1 ]; then
    for set in cases wild; do
        src=$out/queries/hit.txt
        [ "$set" = wild ] && src=$out/queries/wild.txt
        "${HELPER[@]}" cycle "$src" "$out/queries/callgrind-$set-small.txt" $((cg_queries / 10))
        "${HELPER[@]}" cycle "$src" "$out/queries/callgrind-$set-big.txt" "$cg_queries"
    done
    for kind in "${KINDS[@]}"; do scenario_callgrind "$kind"; done
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

loadgen_text="load generator of the saturating cache-hit run: $loadgen"
[ "$loadgen" != dnsperf ] && loadgen_text="$loadgen_text (port53-load -c $clients -q 100 -T $loadgen_threads)"
[ "$pin" = 1 ] && loadgen_text="$loadgen_text; pinned: resolver CPU 0, load CPU 1"
settings="$loadgen_text; scenarios: $only; threads $threads_list (port53d server.threads, Unbound num-threads + so-reuseport: yes, \
PowerDNS Recursor threads + pdns-distributes-queries=no + reuseport=yes, Knot Resolver one kresd process per thread); \
$seconds s per load; dnsperf -c $clients, 100 outstanding, saturating run -Q $max_qps; \
$hit_lines cache-hit names (the lab cases minus SERVFAIL, TTL-5 and 3.3 kB TXT); \
cold: $(wc -l <"$out/queries/cold.txt") names, dnsperf -n 1 -t 5; \
queries $([ ${#edns[@]} -gt 0 ] && echo 'with EDNS0' || echo 'without EDNS'); \
caches: port53d lab config (64 MiB), Unbound and PowerDNS Recursor defaults, Knot Resolver 100 MiB LMDB emptied before each start"
[ "$run_cold" = 1 ] && settings="$settings; \
upstream queries: nftables counter, output to 127.100.0.0/16 UDP dport 53 + TCP SYN dport 53"
[ "$run_randsub" = 1 ] && settings="$settings; \
randsub: $randsub_names random 12-letter names (NXDOMAIN) below each of $randsub_zones, a fresh resolver \
per zone and setting, dnsperf -n 1 -c 4 -q $randsub_q -t 5; the zone's SOA asked first (warm-up, counted \
apart); port53d resolver.aggressive_nsec = true|false, Unbound aggressive-nsec: yes|no; \
dig +dnssec on 10 names of the run and 10 fresh ones"
[ "$run_walk" = 1 ] && settings="$settings; \
walk: $walk_names names of $WALK_ZONE (ECDSAP256SHA256, NSEC, one A each) in a random order, a fresh \
resolver, dnsperf -n 1 -c $walk_clients -q $walk_q -t 5; then each name again with DO from the cache"
[ "$run_walk_cg" = 1 ] && settings="$settings; walk-callgrind: 1 thread, 1 warm-up name of $WALK_ZONE then \
$walk_cg_names others, dnsperf -c 1 -q 5 -t 60, Ir of the batch's dump ÷ answers"
[ "$run_randsub" = 1 ] || [ "$run_walk" = 1 ] && [ "$run_cold" = 0 ] && settings="$settings; \
upstream queries: nftables counter, output to 127.100.0.0/16 UDP dport 53 + TCP SYN dport 53"
[ "$run_cold_cg" = 1 ] && settings="$settings; cold-callgrind: 1 thread, 2 warm-up names then \
$cold_cg_names distinct wildcard names (half below each wildcard, one batch each), dnsperf -c 1 -q 5 -t 60, \
Ir of the batches' own dumps ÷ answers"
[ "$run_hit_cg" = 1 ] && settings="$settings; callgrind: valgrind $(valgrind --version 2>/dev/null | sed 's/valgrind-//'), $((cg_queries / 10)) then $cg_queries hits per name set \
(the cache-hit names; $(wc -l <"$out/queries/wild.txt") names below the lab's wildcards), dnsperf -c 1 -q 10"
"${HELPER[@]}" set --out "$out/meta.json" \
    port53d="binary sha256 $(sha256sum "$PORT53D" | cut -c1-12) (source tree at $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') when run)" \
    resolvers="${KINDS[*]}" \
    versions="$(for k in "${PEERS[@]}"; do printf '%s, ' "$(peer_version "$k")"; done | sed 's/, $//')" \
    dnsperf="$(dnsperf -H 2>&1 | awk '/^Version/ {print $2; exit}')" \
    nproc="$(nproc)" load_start="$load_start" load_end="$load_end" \
    date="$(date -u '+%Y-%m-%d %H:%M UTC')" settings="$settings"
"${HELPER[@]}" table --dir "$out"
log "raw dnsperf output in $out/raw, results in $out/runs, table in $out/table.md"
