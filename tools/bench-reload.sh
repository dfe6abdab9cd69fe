#!/bin/bash
# Reload under load (issue 12): port53d on the loopback lab, inside a private network
# namespace (only lo: nothing leaves the machine), answers a steady cache-hit load from
# dnsperf at a fixed rate; once idle, once while `port53-ctl reload` runs ten times (each
# reload a real change: a local-data record added or removed, so a new generation is built
# and swapped in), and once while port53-ctl status runs at the same times (a control: the
# same processes started, no reload). Prints queries sent and lost and p50/p99 of each run.
# Usage: tools/bench-reload.sh [SECONDS (default 10)] [QPS (default 20000)] [PORT53D]
set -euo pipefail
secs=${1:-10}
qps=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${3:-$root/build/port53d}
ctl=$(dirname "$bin")/port53-ctl
if [ -z "${PORT53_IN_NETNS:-}" ]; then
    export PORT53_IN_NETNS=1
    exec unshare --net -- "$0" "$@"
fi
ip link set lo up
d=$(mktemp -d /tmp/port53-bench.XXXXXX)
lab=$d/lab
/usr/bin/python3 "$root/tools/lab/lab.py" up --dir "$lab" >/dev/null
trap '/usr/bin/python3 "$root/tools/lab/lab.py" down --dir "$lab" >/dev/null; kill $pid 2>/dev/null; rm -rf "$d"' EXIT
addr=127.53.0.74
conf() {  # the lab's file with our address, a control socket and local data record $1
    sed -e "s/127.53.0.1:53/$addr:53/" -e 's/log_level = "info"/log_level = "warning"/' \
        "$lab/port53.toml"
    printf '\n[control]\nsocket = "%s"\n[local]\ndata = ["reload-%s.lab. 300 IN A 192.0.2.1"]\n' \
        "$d/ctl.sock" "$1"
}
conf 0 > "$d/port53.toml"
"$bin" -c "$d/port53.toml" & pid=$!
sleep 1
printf 'www.sec.lab A\nwww.sec.lab AAAA\nsec.lab MX\nwww.target.example A\nwww.provider.example A\n' > "$d/q.txt"
dnsperf -s $addr -d "$d/q.txt" -l 1 >/dev/null   # warm the cache
run() {  # name: dnsperf -v at $qps for $secs into $d/NAME.txt
    dnsperf -s $addr -d "$d/q.txt" -l "$secs" -c 4 -Q "$qps" -v > "$d/$1.txt"
}
report() {  # name: sent, lost, p50 and p99 latency
    /usr/bin/python3 - "$d/$1.txt" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
lat = sorted(float(l.split()[-1]) for l in text.splitlines() if l.startswith("> "))
pct = lambda p: lat[max(0, min(len(lat) - 1, -(-p * len(lat) // 100) - 1))] * 1000
sent = re.search(r"Queries sent:\s+(\d+)", text).group(1)
lost = re.search(r"Queries lost:\s+(\d+)", text).group(1)
print("%-8s sent %s lost %s  p50 %.3f ms  p99 %.3f ms" % (sys.argv[2], sent, lost, pct(50), pct(99)))
PY
}
run idle
report idle
# The ten files prepared beforehand: during a run only bash builtins are used (SIGHUP by
# `kill`, the file written by printf, the clock read from EPOCHREALTIME), so the only extra
# work on the machine is the reload itself. Then the same with port53-ctl reload (a process
# started each time, as an operator would) and, as a control, port53-ctl status (the same
# processes, no reload).
for i in $(seq 0 10); do conf "$i" > "$d/conf-$i.toml"; done
loop() {  # name how: sighup, reload or status
    run "$1" & perf=$!
    pause=$(awk -v s="$secs" 'BEGIN {print s / 11}')
    ok=0
    took=""
    for i in $(seq 1 10); do
        sleep "$pause"
        [ "$2" = status ] && n=0 || n=$i
        printf '%s\n' "$(< "$d/conf-$n.toml")" > "$d/port53.toml"
        t0=$EPOCHREALTIME
        if [ "$2" = sighup ]; then
            kill -HUP $pid && ok=$((ok + 1))
        elif "$ctl" -s "$d/ctl.sock" "$2" > /dev/null; then
            ok=$((ok + 1))
        else
            echo "$2 $i failed"
        fi
        [ "$2" = sighup ] || took="$took $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))"
    done
    wait $perf
    report "$1"
    [ -z "$took" ] || echo "  port53-ctl $2 took (ms, round trip):$took"
}
loop sighup sighup
sleep 1
# each reload swapped in a new generation: the last one's record answers, the first's not
echo "  after SIGHUP: reload-10.lab: $(dig @$addr reload-10.lab A +short +time=2 +tries=1)"
printf '%s\n' "$(< "$d/conf-0.toml")" > "$d/port53.toml"
kill -HUP $pid
sleep 1
loop control status
loop ctl-reload reload
# each reload swapped in a new generation: the last one's record answers, the first's not
last=$(dig @$addr reload-10.lab A +short +time=2 +tries=1)
first=$(dig @$addr reload-0.lab A +short +time=2 +tries=1)
echo "  port53-ctl reloads ok: $ok of 10; reload-10.lab: ${last:-none}; reload-0.lab: ${first:-none}"
