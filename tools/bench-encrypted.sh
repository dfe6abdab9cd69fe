#!/bin/bash
# Cache-hit QPS and latency of port53d over UDP, DoT and DoH (dnsperf), in a private
# network namespace with the loopback lab. Bounded: 2 x SECONDS per transport (default 5).
# Then, if build/port53-load (or $PORT53_LOAD) exists, UDP, TCP and DoT from port53-load
# (tools/loadgen), SECONDS each.
#   tools/bench-encrypted.sh [SECONDS] [PORT53D]
set -euo pipefail
secs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-$root/build/port53d}
load=${PORT53_LOAD:-$root/build/port53-load}
if [ -z "${PORT53_IN_NETNS:-}" ]; then
    export PORT53_IN_NETNS=1
    exec unshare --net -- "$0" "$@"
fi
ip link set lo up
d=$(mktemp -d /tmp/port53-bench.XXXXXX)
lab=$d/lab
/usr/bin/python3 "$root/tools/lab/lab.py" up --dir "$lab" >/dev/null
trap '/usr/bin/python3 "$root/tools/lab/lab.py" down --dir "$lab" >/dev/null; kill $pid 2>/dev/null; rm -rf "$d"' EXIT
addr=127.53.0.3
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench \
    -addext "subjectAltName=IP:$addr" -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
sed -e "s/127.53.0.1:53/$addr:53/" -e 's/log_level = "info"/log_level = "warning"/' \
    "$lab/port53.toml" > "$d/port53.toml"
cat >> "$d/port53.toml" <<EOT
[tls]
certificate = "$d/cert.pem"
private_key = "$d/key.pem"
dot_listen = ["$addr:853"]
doh_listen = ["$addr:443"]
EOT
"$bin" -c "$d/port53.toml" & pid=$!
sleep 1
printf 'www.sec.lab A\nwww.sec.lab AAAA\nsec.lab MX\nwww.target.example A\nwww.provider.example A\n' > "$d/q.txt"
dnsperf -s $addr -d "$d/q.txt" -l 1 >/dev/null   # warm the cache
# Throughput: 4 clients with 200 queries outstanding each (saturated). Latency: the same
# clients held to 5000 queries/s, so it measures the path, not the queue.
field() { awk -v k="$1" -v n="$2" 'index($0, k) {print $n; exit}'; }
for mode in udp dot doh; do
    extra=()
    [ $mode = doh ] && extra=(-O "doh-uri=https://$addr:443/dns-query")
    out=$(dnsperf -m $mode -s $addr -d "$d/q.txt" -l "$secs" -c 4 -T 1 -q 200 "${extra[@]}")
    qps=$(field "Queries per second" 4 <<<"$out")
    lost=$(field "Queries lost" 3 <<<"$out")
    out=$(dnsperf -m $mode -s $addr -d "$d/q.txt" -l "$secs" -c 4 -T 1 -Q 5000 "${extra[@]}")
    lat=$(field "Average Latency" 4 <<<"$out")
    printf '%-4s %8.0f queries/s (lost %s)   latency at 5000 q/s: %.3f ms\n' \
        $mode "$qps" "$lost" "$(awk -v l="$lat" 'BEGIN {print l * 1000}')"
done
# The same saturating load from port53-load: 4 sockets or connections, 200 in flight each,
# pipelined on TCP and DoT (sessions of later connections resumed), and its own CPU.
if [ -x "$load" ]; then
    for mode in udp tcp dot; do
        out=$("$load" -m $mode -s $addr -d "$d/q.txt" -l "$secs" -c 4 -T 1 -q 200)
        printf '%-4s %8.0f queries/s (lost %s) from port53-load   %s   %s\n' $mode \
            "$(field "Queries per second" 4 <<<"$out")" "$(field "Queries lost" 3 <<<"$out")" \
            "$(grep -o 'p50 [0-9.]*, p90 [0-9.]*, p99 [0-9.]*' <<<"$out" | sed 's/^/latency (s): /')" \
            "$(grep -o '([0-9.]*% of one core)' <<<"$out" | tr -d '()' | sed 's/^/generator CPU /')"
        [ $mode = dot ] && grep 'Connections:' <<<"$out" | sed 's/^ */     /'
    done
fi
# dnsperf's own DoH client is the bottleneck above; h2load (package nghttp2-client) shows
# what the server does: 4 connections with 50 streams each, then 1 stream each for latency.
if command -v h2load >/dev/null; then
    q=$(/usr/bin/python3 -c 'import base64, dns.message; q = dns.message.make_query("www.sec.lab", "A"); q.id = 0; print(base64.urlsafe_b64encode(q.to_wire()).rstrip(b"=").decode())')
    url="https://$addr/dns-query?dns=$q"
    rps=$(timeout 60 h2load -n 100000 -c 4 -m 50 "$url" | awk '/finished in/ {print $4; exit}')
    lat=$(timeout 60 h2load -n 20000 -c 4 -m 1 "$url" | awk '/time for request/ {print $6; exit}')
    printf 'doh (h2load) %8.0f requests/s (4 x 50 streams)   mean time per request, 1 stream per connection: %s\n' "$rps" "$lat"
fi
