#!/bin/bash
# Cache-hit QPS and latency over UDP, TCP, DoT and DoH of port53d and its peers
# (PowerDNS Recursor, Knot Resolver: tools/bench/peers.sh), one worker each, in a
# private network namespace with the loopback lab (only lo: nothing leaves the
# machine). With 2 CPUs or more the resolver runs on CPU 0 and the load on CPU 1.
# Bounded: per resolver and transport, SECONDS of saturating load and SECONDS at
# 5000 q/s from dnsperf (UDP, DoT, DoH), then SECONDS from port53-load (UDP, TCP,
# DoT) if build/port53-load (or $PORT53_LOAD) exists, and 100,000 + 20,000 DoH
# requests from h2load if installed. PowerDNS Recursor 4.8 has no DoT or DoH
# listener: "–" there.
#   tools/bench-encrypted.sh [SECONDS] [PORT53D]
#   BENCH_PEERS=pdns-recursor,knot-resolver (default; "" for port53d alone)
set -euo pipefail
secs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-$root/build/port53d}
load=${PORT53_LOAD:-$root/build/port53-load}
# shellcheck source=tools/bench/peers.sh
. "$root/tools/bench/peers.sh"
peer_kinds=$(peers_parse "${BENCH_PEERS-pdns-recursor,knot-resolver}") || exit 2
read -r -a peers <<<"$peer_kinds"
for p in "${peers[@]}"; do
    [ "$p" != unbound ] || { echo "bench-encrypted: Unbound is not among its peers" >&2; exit 2; }
done
if [ -z "${PORT53_IN_NETNS:-}" ]; then
    peers_install "${peers[@]}"
    export PORT53_IN_NETNS=1
    exec unshare --net -- "$0" "$@"
fi
ip link set lo up
[ -z "$(ip -o link show | awk -F': ' '$2 != "lo"')" ] || { echo "bench-encrypted: interfaces besides lo" >&2; exit 1; }
out=$(mktemp -d /tmp/port53-bench.XXXXXX)
lab=$out/lab
mkdir -p "$out/conf"
/usr/bin/python3 "$root/tools/lab/lab.py" up --dir "$lab" >/dev/null
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    /usr/bin/python3 "$root/tools/lab/lab.py" down --dir "$lab" >/dev/null
    rm -rf "$out"
}
trap cleanup EXIT
pin_r=(); pin_l=()
if [ "$(nproc)" -ge 2 ]; then pin_r=(taskset -c 0); pin_l=(taskset -c 1); fi
p53addr=127.53.0.1
# one certificate for every listener: each resolver's address in subjectAltName
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench \
    -addext "subjectAltName=IP:$p53addr,IP:$PEER_ADDR_kresd,IP:$PEER_ADDR_pdns" \
    -keyout "$out/key.pem" -out "$out/cert.pem" 2>/dev/null

write_confs() {
    sed -e 's/log_level = "info"/log_level = "warning"/' -e 's/^threads = .*/threads = 1/' \
        "$lab/port53.toml" >"$out/port53.toml"
    cat >>"$out/port53.toml" <<EOT
[tls]
certificate = "$out/cert.pem"
private_key = "$out/key.pem"
dot_listen = ["$p53addr:853"]
doh_listen = ["$p53addr:443"]
EOT
    peer_conf_pdns 1 quiet=yes
    peer_conf_kresd 1 "net.tls('$out/cert.pem', '$out/key.pem')" \
        "net.listen('$PEER_ADDR_kresd', 853, { kind = 'tls' })" \
        "net.listen('$PEER_ADDR_kresd', 443, { kind = 'doh2' })"
}
write_confs

start() {  # kind -> $addr, resolver running (pid in pids)
    local kind=$1 _
    if [ "$kind" = port53 ]; then
        addr=$p53addr
        "${pin_r[@]}" "$bin" -c "$out/port53.toml" >"$out/$kind.log" 2>&1 &
    else
        addr=$(v=PEER_ADDR_$kind; echo "${!v}")
        peer_prepare "$kind"; peer_cmd "$kind" 1
        "${pin_r[@]}" "${PEER_CMD[@]}" >"$out/$kind.log" 2>&1 &
    fi
    pids=($!)
    for _ in $(seq 100); do
        dig @"$addr" +tries=1 +time=1 . NS >/dev/null 2>&1 && return 0
        kill -0 "${pids[0]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench-encrypted: $kind did not start:" >&2; tail -n 20 "$out/$kind.log" >&2; exit 1
}
stop() { kill "${pids[0]}" 2>/dev/null || true; wait "${pids[0]}" 2>/dev/null || true; pids=(); }

printf 'www.sec.lab A\nwww.sec.lab AAAA\nsec.lab MX\nwww.target.example A\nwww.provider.example A\n' > "$out/q.txt"
field() { awk -v k="$1" -v n="$2" 'index($0, k) {print $n; exit}'; }
# the resolver's CPU (user + system, all threads) in clock ticks, and per answered query
ticks() { sed 's/^.*) //' "/proc/${pids[0]}/stat" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
cpu_per_query() {  # ticks-before ticks-after answered -> "resolver CPU N µs/query"
    awk -v a="$1" -v b="$2" -v n="$3" -v hz="$hz" 'BEGIN {
        if (n > 0) printf "resolver CPU %.1f µs/query", (b - a) * 1e6 / hz / n; else print "resolver CPU ?" }'
}
has_tls() { [ "$1" != pdns ]; }

run_dnsperf() {  # kind: throughput 4 clients x 200 outstanding; latency at 5000 q/s
    local kind=$1 mode extra o qps lost lat t0 cpu
    for mode in udp dot doh; do
        if [ $mode != udp ] && ! has_tls "$kind"; then
            printf '%-6s %-4s        – (no %s listener in PowerDNS Recursor 4.8)\n' "$kind" $mode $mode; continue
        fi
        extra=()
        [ $mode = doh ] && extra=(-O "doh-uri=https://$addr:443/dns-query")
        t0=$(ticks)
        o=$(timeout $((secs + 30)) "${pin_l[@]}" dnsperf -m $mode -s "$addr" -d "$out/q.txt" -l "$secs" -c 4 -T 1 -q 200 "${extra[@]}")
        cpu=$(cpu_per_query "$t0" "$(ticks)" "$(field "Queries completed" 3 <<<"$o")")
        qps=$(field "Queries per second" 4 <<<"$o"); lost=$(field "Queries lost" 3 <<<"$o")
        o=$(timeout $((secs + 30)) "${pin_l[@]}" dnsperf -m $mode -s "$addr" -d "$out/q.txt" -l "$secs" -c 4 -T 1 -Q 5000 "${extra[@]}")
        lat=$(field "Average Latency" 4 <<<"$o")
        printf '%-6s %-4s %8.0f queries/s (lost %s) from dnsperf   %s   latency at 5000 q/s: %.3f ms\n' \
            "$kind" $mode "$qps" "$lost" "$cpu" "$(awk -v l="$lat" 'BEGIN {print l * 1000}')"
    done
}

run_load() {  # kind: port53-load, 4 sockets or connections, 200 in flight each
    local kind=$1 mode o t0
    [ -x "$load" ] || return 0
    for mode in udp tcp dot; do
        if [ $mode = dot ] && ! has_tls "$kind"; then
            printf '%-6s %-4s        – (no dot listener in PowerDNS Recursor 4.8)\n' "$kind" $mode; continue
        fi
        t0=$(ticks)
        o=$(timeout $((secs + 30)) "${pin_l[@]}" "$load" -m $mode -s "$addr" -d "$out/q.txt" -l "$secs" -c 4 -T 1 -q 200)
        printf '%-6s %-4s %8.0f queries/s (lost %s) from port53-load   %s   %s   %s\n' "$kind" $mode \
            "$(field "Queries per second" 4 <<<"$o")" "$(field "Queries lost" 3 <<<"$o")" \
            "$(cpu_per_query "$t0" "$(ticks)" "$(field "Queries completed" 3 <<<"$o")")" \
            "$(grep -o 'p50 [0-9.]*, p90 [0-9.]*, p99 [0-9.]*' <<<"$o" | sed 's/^/latency (s): /')" \
            "$(grep -o '([0-9.]*% of one core)' <<<"$o" | tr -d '()' | sed 's/^/generator CPU /')"
        [ $mode = dot ] && grep 'Connections:' <<<"$o" | sed 's/^ */            /'
    done
}

# dnsperf's own DoH client is the bottleneck above; h2load (package nghttp2-client) shows
# what the server does: 4 connections with 50 streams each, then 1 stream each for latency.
run_h2load() {  # kind
    local kind=$1 q url rps lat
    command -v h2load >/dev/null || return 0
    if ! has_tls "$kind"; then printf '%-6s doh (h2load)        –\n' "$kind"; return 0; fi
    q=$(/usr/bin/python3 -c 'import base64, dns.message; q = dns.message.make_query("www.sec.lab", "A"); q.id = 0; print(base64.urlsafe_b64encode(q.to_wire()).rstrip(b"=").decode())')
    url="https://$addr/dns-query?dns=$q"
    local t0; t0=$(ticks)
    rps=$(timeout 60 "${pin_l[@]}" h2load -n 100000 -c 4 -m 50 "$url" | awk '/finished in/ {print $4; exit}')
    local cpu; cpu=$(cpu_per_query "$t0" "$(ticks)" 100000)
    lat=$(timeout 60 "${pin_l[@]}" h2load -n 20000 -c 4 -m 1 "$url" | awk '/time for request/ {print $6; exit}')
    printf '%-6s doh (h2load) %8.0f requests/s (4 x 50 streams)   %s   mean time per request, 1 stream per connection: %s\n' \
        "$kind" "${rps:-0}" "$cpu" "${lat:-?}"
}

echo "1 worker each$([ ${#pin_r[@]} -gt 0 ] && echo ', resolver on CPU 0, load on CPU 1'); $secs s per load; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for kind in port53 "${peers[@]}"; do
    start "$kind"
    timeout 30 dnsperf -s "$addr" -d "$out/q.txt" -l 1 >/dev/null   # warm the cache
    run_dnsperf "$kind"
    run_load "$kind"
    run_h2load "$kind"
    stop
done
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
