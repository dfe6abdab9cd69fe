# shellcheck shell=bash disable=SC2034,SC2154  # $out, randsub_*, HELPER set by tools/bench.sh
# tools/bench.sh's random-subdomain scenario (--only randsub): upstream queries
# saved by aggressive use of the validated cache (RFC 8198).  Sourced by
# bench.sh, which defines start_resolver, perf, parse and upstream_take.

# dig +dnssec over a file of names: "asked nxdomain ad nxdomain_ad" (ad: the AD flag)
dig_check() {  # addr file raw-out
    timeout 120 dig @"$1" +dnssec +tries=1 +time=5 +noall +comments -f "$2" >"$3" 2>&1 || true
    awk -v asked="$(wc -l <"$2")" '
        /^;; ->>HEADER<<-/ { nx = ($0 ~ /status: NXDOMAIN,/) }
        /^;; flags:/ { ad = ($0 ~ /^;; flags:[^;]* ad[ ;]/); n_nx += nx; n_ad += ad; n_both += nx && ad }
        END { print asked + 0, n_nx + 0, n_ad + 0, n_both + 0 }' "$3"
}

scenario_randsub() {  # kind threads zone agg(yes|no) zone-order
    local kind=$1 t=$2 zone=$3 agg=$4 order=$5 addr c0 c1 v=agg
    [ "$agg" = no ] && v=noagg
    local name=randsub-t$t-${zone%.}-$kind-$v qf=$out/queries/randsub-${zone%.}
    local up_start up_warm up_run up_again up_fresh again fresh
    addr=$(addr_of "$kind")
    log "randsub: $kind (aggressive $agg), $t thread(s), $randsub_names names below $zone"
    upstream_take >/dev/null
    CONF_VARIANT=-$v
    start_resolver "$kind" "$t" "$kind-t$t-randsub-$v"
    CONF_VARIANT=
    up_start=$(upstream_take)
    # the delegation chain and the zone's DNSKEY, apart from the per-name cost
    # (a positive answer: no denial, nothing for aggressive use to learn)
    dig @"$addr" +tries=1 +time=10 "$zone" SOA >"$out/raw/$name-warmup.dig.txt" 2>&1 || true
    up_warm=$(upstream_take)
    c0=$(cpu_ticks)
    perf "$name" "$addr" "$qf.txt" -n 1 -c 4 -q "$randsub_q" -t 5 -l $((60 + randsub_names / 50))
    c1=$(cpu_ticks)
    up_run=$(upstream_take)
    read -r -a again <<<"$(dig_check "$addr" "$qf-again.txt" "$out/raw/$name-again.dig.txt")"
    up_again=$(upstream_take)
    read -r -a fresh <<<"$(dig_check "$addr" "$qf-fresh.txt" "$out/raw/$name-fresh.dig.txt")"
    up_fresh=$(upstream_take)
    parse "$name" randsub "$kind" "$t" zone="$zone" zone_order="$order" aggressive="$agg" \
        denial="${randsub_denial[$zone]% *}" denial_records="${randsub_denial[$zone]#* }" \
        cpu_ticks=$((c1 - c0)) rss_end_kb="$(rss)" hwm_kb="$(hwm)" \
        requery_asked="${again[0]}" requery_nxdomain="${again[1]}" requery_ad="${again[2]}" \
        requery_nxdomain_ad="${again[3]}" fresh_asked="${fresh[0]}" fresh_nxdomain="${fresh[1]}" \
        fresh_ad="${fresh[2]}" fresh_nxdomain_ad="${fresh[3]}"
    "${HELPER[@]}" upstream --out "$out/runs/$name.json" up_startup "$up_start" up_warmup "$up_warm" \
        up_run "$up_run" up_requery "$up_again" up_fresh "$up_fresh"
    stop_resolver
}
