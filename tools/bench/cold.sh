# shellcheck shell=bash disable=SC2154  # $out, $lab, HELPER, walk_* set by tools/bench.sh
# Cold scenarios of tools/bench.sh that need more than one dnsperf run: the
# instructions per cold validated name under callgrind (cold_callgrind: for
# the wildcard names and for the walk's sample) and the cold walk of
# walk.lab. (scenario_walk).  Sourced by bench.sh, which defines
# start_resolver, stop_resolver, perf, parse, upstream_take, addr_of, log,
# cpu_ticks, rss and hwm.

# A fresh resolver under callgrind, dumped once it answers (start-up), again
# after the warm-up names (the zones' keys and proofs get cached), then after
# each batch of cold names: Ir per name = the batches' Ir / answers.  Every
# batch name is then asked again from the cache to count the AD bits.
# Results: runs/callgrind-TAG-KIND.json (scenario callgrind-TAG).
cold_callgrind() {  # kind tag warm-file all-names-file label=batch-file...
    local kind=$1 tag=$2 warm=$3 all=$4; shift 4
    local addr pid up_start up_warm ad answers b label i=2 up=() batches=()
    addr=$(addr_of "$kind")
    local vg=(valgrind --tool=callgrind --vgdb=yes --vgdb-prefix="$out/callgrind/vgdb-$tag-$kind"
              --callgrind-out-file="$out/callgrind/$kind-$tag.%p.out" --dump-instr=no)
    local ctl=(callgrind_control --vgdb-prefix="$out/callgrind/vgdb-$tag-$kind")
    local ctl_log=$out/logs/$kind-$tag-callgrind.ctl dump=$out/callgrind/$kind-$tag
    upstream_take >/dev/null
    start_resolver "$kind" 1 "$kind-$tag-callgrind" "${vg[@]}"
    pid=$RPID
    up_start=$(upstream_take)
    # dump 1: start-up until the first answer; dump 2: the warm-up names;
    # then one dump per batch (each dump zeroes the counters)
    "${ctl[@]}" --dump="$tag-startup" "$pid" >>"$ctl_log" 2>&1
    perf "callgrind-$tag-warm-$kind" "$addr" "$warm" -n 1 -c 1 -q 1 -t 60 -l 300
    up_warm=$(upstream_take)
    "${ctl[@]}" --dump="$tag-warmup" "$pid" >>"$ctl_log" 2>&1
    for b in "$@"; do
        label=${b%%=*}; i=$((i + 1))
        # few outstanding queries: valgrind slows the resolver ~50x, and it must
        # not be overrun (a lost query would be work counted for no answer)
        perf "callgrind-$tag-$label-$kind" "$addr" "${b#*=}" -n 1 -c 1 -q 5 -t 60 -l 450
        up+=("up_$label" "$(upstream_take)")
        "${ctl[@]}" --dump="$tag-$label" "$pid" >>"$ctl_log" 2>&1
        batches+=(--batch "$label" "$dump.$pid.out.$i" "$out/runs/callgrind-$tag-$label-$kind.json")
    done
    # validated? every batch name again, now from the cache: count AD bits
    timeout 300 dig @"$addr" +tries=1 +time=20 +noall +comments -f "$all" \
        >"$out/raw/callgrind-$tag-requery-$kind.dig.txt" 2>&1 || true
    answers=$(grep -c '^;; flags:' "$out/raw/callgrind-$tag-requery-$kind.dig.txt" || true)
    ad=$(grep -c '^;; flags:[^;]* ad[ ;]' "$out/raw/callgrind-$tag-requery-$kind.dig.txt" || true)
    stop_resolver
    parse "callgrind-$tag-warm-$kind" "callgrind-$tag-warm" "$kind" 1
    for b in "$@"; do parse "callgrind-$tag-${b%%=*}-$kind" "callgrind-$tag-${b%%=*}" "$kind" 1; done
    "${HELPER[@]}" callgrind-cold --startup "$dump.$pid.out.1" --warm "$dump.$pid.out.2" \
        --warm-run "$out/runs/callgrind-$tag-warm-$kind.json" "${batches[@]}" \
        --out "$out/runs/callgrind-$tag-$kind.json" \
        --set scenario="callgrind-$tag" resolver="$kind" threads=1 \
        ad_requery="$ad" requery_answers="$answers"
    "${HELPER[@]}" upstream --out "$out/runs/callgrind-$tag-$kind.json" \
        up_startup "$up_start" up_warmup "$up_warm" "${up[@]}"
}

scenario_cold_callgrind() {  # kind
    log "cold-callgrind: $1, 1 thread, 2 warm-up + $cold_cg_names cold names under valgrind"
    cold_callgrind "$1" cold "$out/queries/cold-callgrind-warm.txt" "$out/queries/cold-callgrind.txt" \
        sec="$out/queries/cold-callgrind-1.txt" example="$out/queries/cold-callgrind-2.txt"
}

scenario_walk_callgrind() {  # kind
    log "walk-callgrind: $1, 1 thread, 1 warm-up + $walk_cg_names names of $WALK_ZONE under valgrind"
    cold_callgrind "$1" walk "$out/queries/walk-callgrind-warm.txt" "$out/queries/walk-callgrind.txt" \
        walk="$out/queries/walk-callgrind.txt"
}

# The cold walk: a fresh resolver gets every name of walk.lab. once
# (dnsperf -n 1, bounded concurrency), then every name again from its cache
# with the DO bit (bench.py walk-check: NOERROR, AD, the zone's address).
scenario_walk() {  # kind threads
    local kind=$1 t=$2 addr c0 c1 name=walk-t$2-$1 up_start up_run up_check
    addr=$(addr_of "$kind")
    log "walk: $kind, $t thread(s), $walk_names names of $WALK_ZONE, dnsperf -c $walk_clients -q $walk_q"
    upstream_take >/dev/null
    start_resolver "$kind" "$t" "$kind-t$t-walk"
    up_start=$(upstream_take)
    c0=$(cpu_ticks)
    perf "$name" "$addr" "$out/queries/walk.txt" -n 1 -c "$walk_clients" -q "$walk_q" -t 5 \
        -l $((60 + walk_names / 20))
    c1=$(cpu_ticks)
    up_run=$(upstream_take)
    parse "$name" walk "$kind" "$t" cpu_ticks=$((c1 - c0)) rss_end_kb="$(rss)" hwm_kb="$(hwm)" \
        zone="$WALK_ZONE" clients="$walk_clients" outstanding="$walk_q"
    timeout 300 "${HELPER[@]}" walk-check --lab-src "$out/lab-src" --names "$out/queries/walk.txt" \
        --addr "$addr" --out "$out/runs/$name.json" >&2 || log "walk: re-asking $kind failed"
    up_check=$(upstream_take)
    "${HELPER[@]}" upstream --out "$out/runs/$name.json" up_startup "$up_start" up_run "$up_run" \
        up_check "$up_check"
    stop_resolver
}
