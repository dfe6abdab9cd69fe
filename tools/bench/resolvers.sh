# shellcheck shell=bash disable=SC2154  # $out, $lab, PEERS, PIN_*, edns, ... set by tools/bench.sh
# tools/bench.sh's resolvers and loads: start and stop a resolver under test
# (port53d or a peer of tools/bench/peers.sh, optionally under a wrapper such
# as valgrind), read its CPU and memory from /proc, run dnsperf or
# port53-load into raw/ and parse the report into runs/.  Sourced by bench.sh.
addr_of() {
    if [ "$1" = port53 ]; then echo $PORT53_ADDR; else local v=PEER_ADDR_$1; echo "${!v}"; fi
}

CONF_VARIANT=   # e.g. -agg: start_resolver then uses conf/port53-tN-agg.toml
RPIDS=()        # every process of the running resolver (kresd: one per worker); RPID is the first
start_resolver() {  # kind threads logname [wrapper...]
    local kind=$1 t=$2 name=$3; shift 3
    local cmd addr timeout=15 n=1 i
    if [ "$kind" = port53 ]; then
        cmd=("$PORT53D" -c "$out/conf/port53-t$t$CONF_VARIANT.toml")
    else
        peer_prepare "$kind"
        peer_cmd "$kind" "$t" "$CONF_VARIANT"
        cmd=("${PEER_CMD[@]}")
        n=$(peer_processes "$kind" "$t")
    fi
    [ $# -gt 0 ] && timeout=120
    addr=$(addr_of "$kind")
    RPIDS=()
    for i in $(seq "$n"); do
        echo "=== $(date +%T) $* ${cmd[*]}" >>"$out/logs/$name.log"
        "${PIN_RESOLVER[@]}" "$@" "${cmd[@]}" >>"$out/logs/$name.log" 2>&1 &
        RPIDS+=($!)
    done
    RPID=${RPIDS[0]}
    local deadline=$((SECONDS + timeout))
    while ! dig @"$addr" +norec +tries=1 +time=1 . NS >/dev/null 2>&1; do
        for i in "${RPIDS[@]}"; do
            kill -0 "$i" 2>/dev/null && continue
            echo "bench.sh: $kind exited during start-up:" >&2
            tail -n 20 "$out/logs/$name.log" >&2; stop_resolver; exit 1
        done
        if [ $SECONDS -ge $deadline ]; then
            echo "bench.sh: $kind does not answer on $addr after ${timeout}s" >&2; exit 1
        fi
        sleep 0.1
    done
}

stop_resolver() {
    local pid i
    RPID=
    for pid in "${RPIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${RPIDS[@]}"; do
        for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && { log "resolver $pid ignored SIGTERM for 10 s: SIGKILL"; kill -KILL "$pid"; }
        wait "$pid" 2>/dev/null || true
    done
    RPIDS=()
}

# summed over the resolver's processes (kresd runs one per worker)
status_sum() { local p; for p in "${RPIDS[@]}"; do cat "/proc/$p/status"; done | awk -v k="$1" '$1 == k {s += $2} END {print s + 0}'; }
rss() { status_sum VmRSS:; }
hwm() { status_sum VmHWM:; }
# utime + stime of all threads, in clock ticks (fields 14 and 15 of stat)
cpu_ticks() { local p; for p in "${RPIDS[@]}"; do sed 's/^.*) //' "/proc/$p/stat"; done | awk '{s += $12 + $13} END {print s + 0}'; }

# "tid:ticks" for every thread, to see how the load spreads over the workers
thread_ticks() {
    local f p
    for p in "${RPIDS[@]}"; do
        for f in /proc/$p/task/*/stat; do
            echo "$(basename "$(dirname "$f")"):$(sed 's/^.*) //' "$f" | awk '{print $12 + $13}')"
        done
    done 2>/dev/null | tr '\n' ' '
}

perf() {  # name addr queryfile [dnsperf args...]: dnsperf -v into raw/NAME.dnsperf.txt
    local name=$1 addr=$2 qf=$3; shift 3
    local raw=$out/raw/$name.dnsperf.txt rc=0
    echo "${PIN_LOAD[*]} dnsperf -s $addr -d $qf ${edns[*]} -v $*" >"$out/raw/$name.cmd"
    # its own CPU (user, system: bash's time of the child) beside its report
    local TIMEFORMAT='%U %S'
    { time "${PIN_LOAD[@]}" dnsperf -s "$addr" -d "$qf" "${edns[@]}" -v "$@" >"$raw" \
        2>"$out/raw/$name.stderr" || rc=$?; } 2>"$out/raw/$name.cputime"
    [ "$rc" = 0 ] || log "dnsperf for $name exited with $rc (see $out/raw/$name.stderr)"
    if [ -n "$RPID" ] && ! kill -0 "$RPID" 2>/dev/null; then
        log "the resolver died during $name (see $out/logs/)"
        exit 1
    fi
}

loadperf() {  # name addr queryfile [port53-load args...]: its report into raw/NAME.dnsperf.txt
    local name=$1 addr=$2 qf=$3; shift 3
    local raw=$out/raw/$name.dnsperf.txt rc=0 e=()
    [ ${#edns[@]} -gt 0 ] && e=(-e)
    echo "${PIN_LOAD[*]} port53-load -s $addr -d $qf ${e[*]} $*" >"$out/raw/$name.cmd"
    "${PIN_LOAD[@]}" "$PORT53_LOAD" -s "$addr" -d "$qf" "${e[@]}" "$@" >"$raw" \
        2>"$out/raw/$name.stderr" || rc=$?
    [ "$rc" = 0 ] || log "port53-load for $name exited with $rc (see $out/raw/$name.stderr)"
    if [ -n "$RPID" ] && ! kill -0 "$RPID" 2>/dev/null; then
        log "the resolver died during $name (see $out/logs/)"
        exit 1
    fi
}

parse() {  # name scenario kind threads [k=v...]
    local name=$1 scenario=$2 kind=$3 t=$4; shift 4
    "${HELPER[@]}" dnsperf --raw "$out/raw/$name.dnsperf.txt" --out "$out/runs/$name.json" \
        --set scenario="$scenario" resolver="$kind" threads="$t" clk_tck="$clk_tck" "$@"
}

warm() {  # kind threads tag: two passes over the cache-hit names
    local kind=$1 t=$2 tag=$3 addr i scenario
    addr=$(addr_of "$kind")
    for i in 1 2; do
        scenario=warm$i; [ "$tag" = "t$t" ] || scenario=warm$i-$tag
        perf "warm$i-$tag-$kind" "$addr" "$out/queries/hit.txt" -n 1 -c 1 -q 20 -t 10 -l 60
        parse "warm$i-$tag-$kind" "$scenario" "$kind" "$t"
    done
}

runs_for() {  # rate seconds -> dnsperf -n (passes over the hit file) so -Q * -l fits
    echo $(( ($1 * $2) / hit_lines + 2 ))
}
