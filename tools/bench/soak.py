#!/usr/bin/python3
"""Bounded soak test of port53d (issue 5), run by tools/bench.sh --soak inside a private
network namespace: SECONDS of mixed dnsperf load (cache hits, unique names that need
resolution, NXDOMAIN, TXT) with garbage UDP packets and junk TCP connections mixed in.
Afterwards the daemon must still answer, every dnsperf query must have had a reply, and
RSS must stay under the cache bound plus a fixed overhead. Prints a Markdown table."""
import argparse
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))

import dns.message  # noqa: E402
import dns.query    # noqa: E402
import dns.rcode    # noqa: E402

from lab import Lab  # noqa: E402

ADDR = "127.53.0.1"
OVERHEAD_MIB = 48  # code, thread stacks, socket buffers, allocator slack


def rss_kib(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def garbage(stop, counts):
    """Malformed datagrams and junk TCP streams at a bounded rate."""
    rnd = random.Random(53)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.2", 0))
    valid = dns.message.make_query("www.sec.lab.", "A").to_wire()
    while not stop.is_set():
        kind = rnd.randrange(5)
        if kind == 0:
            pkt = os.urandom(rnd.randrange(1, 600))
        elif kind == 1:
            pkt = valid[:rnd.randrange(1, len(valid))]                 # truncated
        elif kind == 2:
            pkt = valid[:4] + struct.pack(">H", 2) + valid[6:]         # QDCOUNT 2
        elif kind == 3:
            pkt = valid[:2] + bytes([valid[2] | 0x78]) + valid[3:]     # opcode 15
        else:
            pkt = valid[:12] + bytes([0xC0, 0x0C]) + valid[14:]       # pointer loop
        udp.sendto(pkt, (ADDR, 53))
        counts["udp"] += 1
        if counts["udp"] % 50 == 0:  # a junk TCP connection now and then
            try:
                with socket.create_connection((ADDR, 53), timeout=1) as s:
                    s.sendall(b"\xff\xff" + os.urandom(200))
                counts["tcp"] += 1
            except OSError:
                pass
        time.sleep(0.002)  # ~500 garbage packets a second


def query_file(path, lab_cases, unique):
    with open(path, "w") as f:
        for i in range(unique):
            f.write("soak%d.wild.sec.lab. A\n" % i)
            f.write("soak%d.wild.example. AAAA\n" % i)
            f.write("nx-soak%d.sec.lab. A\n" % i)
            for name, qtype in lab_cases:
                f.write("%s %s\n" % (name, qtype))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port53d", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--qps", type=int, default=5000)
    ap.add_argument("--cache-mb", type=int, default=8)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    lab = Lab(os.path.join(args.out, "lab"))
    lab.start()
    procs = []
    try:
        conf = os.path.join(args.out, "soak.toml")
        text = open(lab.port53_toml).read().replace("size_mb = 64", "size_mb = %d" % args.cache_mb)
        open(conf, "w").write(text)
        log = open(os.path.join(args.out, "port53d.log"), "w")
        daemon = subprocess.Popen([args.port53d, "-c", conf], stdout=log, stderr=log)
        procs.append(daemon)
        time.sleep(0.5)
        cases = [("www.sec.lab.", "A"), ("c1.sec.lab.", "A"), ("www.dname.lab.", "A"),
                 ("big.sec.lab.", "TXT"), ("www.sec.lab.", "MX"), ("nope.target.example.", "A")]
        qfile = os.path.join(args.out, "queries.txt")
        query_file(qfile, cases, 20000)
        stop, counts = threading.Event(), {"udp": 0, "tcp": 0}
        noise = threading.Thread(target=garbage, args=(stop, counts))
        noise.start()
        t0 = time.time()
        perf = subprocess.run(["dnsperf", "-s", ADDR, "-d", qfile, "-l", str(args.seconds),
                               "-Q", str(args.qps), "-c", "8", "-t", "10", "-e"],
                              capture_output=True, text=True, timeout=args.seconds + 60)
        stop.set()
        noise.join()
        elapsed = time.time() - t0
        open(os.path.join(args.out, "dnsperf.txt"), "w").write(perf.stdout + perf.stderr)
        after = dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=3)
        rss, hwm = rss_kib(daemon.pid, "VmRSS"), rss_kib(daemon.pid, "VmHWM")
        alive = daemon.poll() is None
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        lab.stop()

    def grab(label):
        m = re.search(r"%s:\s+([\d.]+)" % label, perf.stdout)
        return float(m.group(1)) if m else float("nan")
    sent, completed, lost = grab("Queries sent"), grab("Queries completed"), grab("Queries lost")
    bound = (args.cache_mb + OVERHEAD_MIB) * 1024
    print("| soak (%d s, %d q/s offered, cache %d MiB) | value |" % (args.seconds, args.qps, args.cache_mb))
    print("|---|---:|")
    print("| dnsperf queries sent / completed / lost | %d / %d / %d |" % (sent, completed, lost))
    print("| queries per second | %.0f |" % grab("Queries per second"))
    print("| average latency (s) | %s |" % grab("Average Latency \\(s\\)"))
    print("| garbage UDP packets / junk TCP connections | %d / %d |" % (counts["udp"], counts["tcp"]))
    print("| RSS at end / peak (MiB) | %.1f / %.1f |" % (rss / 1024, hwm / 1024))
    print("| RSS bound checked (cache + %d MiB overhead) | %d MiB |" % (OVERHEAD_MIB, bound // 1024))
    print("| answers after the soak | %s |" % dns.rcode.to_text(after.rcode()))
    print("| wall time (s) | %.1f |" % elapsed)
    ok = alive and lost == 0 and hwm <= bound and after.rcode() == dns.rcode.NOERROR
    print("\nsoak: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
