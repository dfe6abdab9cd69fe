#!/usr/bin/python3
"""Bounded soak test of port53d (issues 5 and 9), run by tools/bench.sh --soak inside a private
network namespace. For SECONDS, a mixed dnsperf load (cache hits, unique names that need
resolution, NXDOMAIN, TXT) with garbage UDP packets and junk TCP connections mixed in, and a
probe client asking a cache miss and a cache hit four times a second; meanwhile the attacks of
issue 9 (tools/bench/soak_attacks.py), each bounded in count and time, one phase each and then
all at once:

  rapid-reset   DoH/2 HEADERS + RST_STREAM for names that hang, several connections/addresses
  bigq-one      one address, TCP connections pipelining ~64 KiB queries for one hanging name
  bigq-many     the same for a distinct hanging name per query
  flood         unique names at a bounded rate (1 in 5 hangs), dnsperf from its own address
  slow          TCP, DoT, DoH/1.1 clients sending a byte a second, DoH/2 a PING a second
  malformed     malformed DNS over UDP and TCP
  all           everything above at once

Names hang under deadns.lab.: its two servers are made black holes (the lab's "good" NSD is
stopped, sockets of ours take both addresses and never answer).

Sampled every 0.2 s: VmRSS, VmHWM and open file descriptors of the daemon. After the attacks
stop, it waits (at most --settle seconds) for the descriptors to come back. It fails when the
daemon dies, when RSS ever exceeds cache.size_mb + the bound for work in flight that
memory_bound() derives from the settings, when descriptors exceed fd_bound(), when the probe
fails more than --probe-fail-share, when dnsperf loses more than --lost-share, or when fds or
RSS do not come back down after the settle time. Prints Markdown tables."""
import argparse
import collections
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dns.message  # noqa: E402
import dns.query    # noqa: E402
import dns.rcode    # noqa: E402

import soak_attacks as atk  # noqa: E402
from lab import Lab  # noqa: E402

ADDR = atk.ADDR

# The soak's limits, written into its config (the lab's config plus these lines). Lower than
# the defaults for connections, so that the attacks can reach the caps and the bound checked
# is not loose; the per-client shares are the defaults.
SETTINGS = {
    "server": {"max_inflight": 4000, "max_inflight_per_client": 256,
               "tcp_max_connections": 256, "tcp_max_connections_per_client": 64,
               "tcp_max_pipelined": 128, "tcp_idle_timeout_ms": 5000, "edns_buffer_size": 1232},
    "resolver": {"max_outstanding_upstream": 4000, "query_timeout_ms": 5000},
    "tls": {"max_connections": 256, "doh_max_streams": 100, "idle_timeout_ms": 5000},
}

# Per-item memory of work in flight, KiB (see memory_bound(); README "Safe to expose").
FIXED_MIB = 32        # code, libraries, thread stacks, listeners, allocator arenas, trust anchor,
                      # and the caches bounded in entries, not bytes (signatures, keys, servers)
PER_WAITER_KIB = 1    # a waiting client question: compact query copy, callback, table entry
PER_RESOLUTION_KIB = 32  # a distinct question being resolved: coroutine frames, state, upstream
                         # exchange and socket (measured: ~24 KiB per held resolution, rapid reset)
PER_TCP_KIB = 72      # a TCP connection: 64 KiB query buffer (largest query), socket, state
PER_TLS_KIB = 192     # a DoT/DoH connection: TLS state and buffers, 96 KiB DoH/1.1 header buffer
                      # or an HTTP/2 session with its streams, 64 KiB write batch
FIXED_FDS = 64        # listeners, epoll, eventfds, timers, log, the lab's files


def memory_bound_kib(s, cache_mb):
    """cache.size_mb + FIXED + max_inflight x (waiter + resolution) + TCP and TLS connections."""
    inflight = s["server"]["max_inflight"]
    resolutions = min(inflight, s["resolver"]["max_outstanding_upstream"])
    parts = collections.OrderedDict([
        ("cache.size_mb", cache_mb * 1024),
        ("fixed", FIXED_MIB * 1024),
        ("waiters (max_inflight x %d KiB)" % PER_WAITER_KIB, inflight * PER_WAITER_KIB),
        ("resolutions (min(max_inflight, max_outstanding_upstream) x %d KiB)" % PER_RESOLUTION_KIB,
         resolutions * PER_RESOLUTION_KIB),
        ("TCP (tcp_max_connections x %d KiB)" % PER_TCP_KIB, s["server"]["tcp_max_connections"] * PER_TCP_KIB),
        ("TLS (tls.max_connections x %d KiB)" % PER_TLS_KIB, s["tls"]["max_connections"] * PER_TLS_KIB),
    ])
    return sum(parts.values()), parts


def fd_bound(s):
    """FIXED_FDS + TCP and TLS connections + upstream sockets (one per open upstream query)."""
    return (FIXED_FDS + s["server"]["tcp_max_connections"] + s["tls"]["max_connections"]
            + s["resolver"]["max_outstanding_upstream"])


def proc_status(pid):
    out = {}
    try:
        for line in open("/proc/%d/status" % pid):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
        out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None
    return out


def trim_rss(pid):
    """Diagnosis, after everything else is measured: the daemon's status once glibc has
    returned its free pages (malloc_trim(0) called in it by gdb). What stays is memory in
    use (caches, held work); what went was freed but kept by the allocator. None without gdb."""
    if not shutil.which("gdb"):
        return None
    try:
        subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "call (int) malloc_trim(0)"],
                       capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    time.sleep(0.2)
    return proc_status(pid)


class Sampler:
    def __init__(self, pid, period=0.2):
        self.pid, self.period = pid, period
        self.samples = []               # (t, phase, rss, hwm, fds)
        self.phase = "start"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def sample(self):
        st = proc_status(self.pid)
        if st:
            self.samples.append((time.time(), self.phase, st["VmRSS"], st["VmHWM"], st["fds"]))
        return st

    def _run(self):
        while not self.stop.wait(self.period):
            self.sample()

    def start(self):
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(5)

    def of(self, phase):
        return [x for x in self.samples if x[1] == phase]


def garbage(stop, counts):
    """Malformed datagrams and junk TCP streams at a bounded rate (~500 a second)."""
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
                with socket.create_connection((ADDR, 53), timeout=1, source_address=("127.0.0.2", 0)) as s:
                    s.sendall(b"\xff\xff" + os.urandom(200))
                counts["tcp"] += 1
            except OSError:
                pass
        time.sleep(0.002)


def query_file(path, lab_cases, unique):
    with open(path, "w") as f:
        for i in range(unique):
            f.write("soak%d.wild.sec.lab. A\n" % i)
            f.write("soak%d.wild.example. AAAA\n" % i)
            f.write("nx-soak%d.sec.lab. A\n" % i)
            for name, qtype in lab_cases:
                f.write("%s %s\n" % (name, qtype))


def make_pki(d):
    """A test CA and a certificate for ADDR (IP SAN), as test/integration/encrypted.py does."""
    os.makedirs(d, exist_ok=True)

    def openssl(*a):
        subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=port53 soak CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=port53 soak server")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n" % ADDR)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "ext.cnf")
    return {k: os.path.join(d, v) for k, v in (("ca", "ca.pem"), ("cert", "server.pem"), ("key", "server.key"))}


def write_config(lab, path, cache_mb, pki):
    text = open(lab.port53_toml).read()
    # never the built-in root hints: the lab's, and loopback authorities allowed
    if ('root_hints = "%s"' % lab.root_hints) not in text or "allow_loopback_upstream = true" not in text:
        raise SystemExit("soak: %s does not set the lab's root hints: refusing to run" % lab.port53_toml)
    if "size_mb = 64" not in text:
        raise SystemExit("soak: unexpected cache line in %s" % lab.port53_toml)
    text = text.replace("size_mb = 64", "size_mb = %d" % cache_mb)
    for section in ("server", "resolver"):
        lines = "".join("%s = %d\n" % kv for kv in SETTINGS[section].items())
        text = text.replace("[%s]\n" % section, "[%s]\n%s" % (section, lines), 1)
    text += '\n[tls]\ncertificate = "%s"\nprivate_key = "%s"\ndot_listen = ["%s:853"]\n' \
            'doh_listen = ["%s:443"]\n' % (pki["cert"], pki["key"], ADDR, ADDR)
    text += "".join("%s = %d\n" % kv for kv in SETTINGS["tls"].items())
    open(path, "w").write(text)


def wait_answering(daemon, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if daemon.poll() is not None:
            return False
        try:
            dns.query.udp(dns.message.make_query("lab.", "SOA"), ADDR, timeout=0.3)
            return True
        except Exception:  # noqa: BLE001
            time.sleep(0.1)
    return False


PHASES = ("rapid-reset", "bigq-one", "bigq-many", "flood", "slow", "malformed", "all")


def run_phase(name, seconds, pki, out, stats, procs):
    """Runs one phase's attacks for `seconds` (each bounded in count too); returns when all
    of them have stopped and closed their connections."""
    stop = threading.Event()
    ca = pki["ca"]
    every = name == "all"
    jobs = []
    if name == "rapid-reset" or every:
        jobs.append((atk.rapid_reset, (stop, stats, ca, ["127.0.1.%d" % i for i in range(1, 5)]),
                     {"conns_per_source": 2, "streams": 1000, "rounds": 3, "tag": "rr" + name[:3]}))
    if name == "bigq-one" or every:
        jobs.append((atk.big_queries, (stop, stats, "127.0.2.1"),
                     {"conns": 16, "pipe": 32, "one_name": True, "tag": "bq1" + name[:3]}))
    if name == "bigq-many" or every:
        jobs.append((atk.big_queries, (stop, stats, "127.0.2.2"),
                     {"conns": 16, "pipe": 32, "one_name": False, "tag": "bqn" + name[:3]}))
    if name == "slow" or every:
        jobs.append((atk.slow_clients, (stop, stats, ca, ["127.0.4.%d" % i for i in range(1, 5)]),
                     {"per_kind": 16}))
    if name == "malformed" or every:
        jobs.append((atk.malformed, (stop, stats, "127.0.5.1"), {"rate": 1000, "limit": 1000 * seconds}))
    flood = None
    if name == "flood" or every:
        rate = 1000
        qf = os.path.join(out, "flood-%s.txt" % name)
        atk.flood_file(qf, rate * seconds + 100, seed=7 if not every else 8)
        flood = subprocess.Popen(["dnsperf", "-s", ADDR, "-a", "127.0.3.1", "-d", qf, "-n", "1",
                                  "-Q", str(rate), "-l", str(seconds), "-t", "8", "-c", "4", "-q", "2000"],
                                 stdout=open(os.path.join(out, "flood-%s.dnsperf.txt" % name), "w"),
                                 stderr=subprocess.STDOUT)
        procs.append(flood)
    threads = [threading.Thread(target=f, args=a, kwargs=k, daemon=True) for f, a, k in jobs]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(30)
        if t.is_alive():
            stats["attack_threads_stuck"] += 1
    if flood:
        try:
            flood.wait(20)
        except subprocess.TimeoutExpired:
            flood.kill()
            flood.wait()
        txt = open(os.path.join(out, "flood-%s.dnsperf.txt" % name)).read()
        for label, key in (("Queries sent", "flood_sent"), ("Queries completed", "flood_completed"),
                           ("Queries lost", "flood_lost")):
            m = re.search(r"%s:\s+(\d+)" % label, txt)
            stats[key] += int(m.group(1)) if m else 0
        m = re.search(r"Response codes:\s+(.*)", txt)
        if m:
            for rc, n in re.findall(r"([A-Z]+) (\d+)", m.group(1)):
                stats["flood_rcode_" + rc] += int(n)


def fmt_stats(c):
    return ", ".join("%s %d" % (k, v) for k, v in sorted(c.items()) if v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port53d", required=True)
    ap.add_argument("--seconds", type=int, default=60, help="length of the attack phases together")
    ap.add_argument("--qps", type=int, default=5000, help="mixed load rate")
    ap.add_argument("--cache-mb", type=int, default=8)
    ap.add_argument("--settle", type=int, default=30, help="longest wait for fds to come back")
    ap.add_argument("--probe-fail-share", type=float, default=0.01)
    ap.add_argument("--lost-share", type=float, default=0.001)
    ap.add_argument("--rounds", type=int, default=2, help="the phases this many times (leak check)")
    ap.add_argument("--no-trim-check", dest="trim_check", action="store_false",
                    help="do not call malloc_trim(0) in the daemon (gdb) after the soak")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.seconds < len(PHASES) * 4 * args.rounds:
        raise SystemExit("soak: at least %d seconds (4 per phase and round)" % (len(PHASES) * 4 * args.rounds))
    os.makedirs(args.out, exist_ok=True)
    phase_s = args.seconds // (len(PHASES) * args.rounds)
    lab = Lab(os.path.join(args.out, "lab"))
    lab.start()
    procs, failures = [], []
    hole = daemon = probe = sampler = None
    stats = {p: collections.Counter() for p in PHASES}
    phase_times = {}
    try:
        lab.stop_server("good")         # deadns.lab.'s servers become black holes
        hole = atk.BlackHole()
        pki = make_pki(os.path.join(args.out, "pki"))
        conf = os.path.join(args.out, "soak.toml")
        write_config(lab, conf, args.cache_mb, pki)
        log = open(os.path.join(args.out, "port53d.log"), "w")
        daemon = subprocess.Popen([args.port53d, "-c", conf], stdout=log, stderr=log)
        procs.append(daemon)
        if not wait_answering(daemon):
            raise SystemExit("soak: port53d did not start (see %s/port53d.log)" % args.out)
        sampler = Sampler(daemon.pid)
        cases = [("www.sec.lab.", "A"), ("c1.sec.lab.", "A"), ("www.dname.lab.", "A"),
                 ("big.sec.lab.", "TXT"), ("www.sec.lab.", "MX"), ("nope.target.example.", "A")]
        for n, t in cases:
            dns.query.udp(dns.message.make_query(n, t), ADDR, timeout=5)
        time.sleep(0.5)
        st0 = sampler.sample()
        sampler.start()
        qfile = os.path.join(args.out, "queries.txt")
        query_file(qfile, cases, 20000)
        stop_noise, counts = threading.Event(), {"udp": 0, "tcp": 0}
        noise = threading.Thread(target=garbage, args=(stop_noise, counts), daemon=True)
        probe = atk.Probe("127.0.0.3")
        warm_s, between_s, between = 4, 7, []
        total = warm_s + (phase_s * len(PHASES) + between_s) * args.rounds + 2
        perf = subprocess.Popen(["dnsperf", "-s", ADDR, "-d", qfile, "-l", str(total), "-Q", str(args.qps),
                                 "-c", "8", "-t", "10", "-e"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(perf)
        t0 = time.time()
        noise.start()
        sampler.phase = probe.phase = "warm-up"
        probe.start()
        time.sleep(warm_s)
        warm = sampler.sample()
        for rnd in range(args.rounds):
            for ph in PHASES:
                sampler.phase = probe.phase = ph
                a = time.time()
                run_phase(ph, phase_s, pki, args.out, stats[ph], procs)
                phase_times[ph] = phase_times.get(ph, 0) + time.time() - a
                if daemon.poll() is not None:
                    failures.append("port53d died during phase %s (exit %s)" % (ph, daemon.returncode))
                    break
            if rnd + 1 < args.rounds and daemon.poll() is None:
                # between rounds (the mixed load goes on): held work ends, then what is in use
                sampler.phase = probe.phase = "between"
                time.sleep(between_s)
                between.append(trim_rss(daemon.pid) if args.trim_check else None)
        sampler.phase = probe.phase = "wind-down"
        perf_out, _ = perf.communicate(timeout=total + 60)
        stop_noise.set()
        noise.join()
        probe.close()
        elapsed = time.time() - t0
        open(os.path.join(args.out, "dnsperf.txt"), "w").write(perf_out)
        # settle: in-flight work ends by query_timeout_ms, idle connections by the idle timeouts
        sampler.phase = "settle"
        s_start = time.time()
        while time.time() - s_start < args.settle and daemon.poll() is None:
            st = sampler.sample()
            if st and st["fds"] <= st0["fds"] + 4 and time.time() - s_start >= 6:
                break
            time.sleep(0.5)
        settle_s = time.time() - s_start
        end = sampler.sample()
        sampler.close()
        # Diagnosis, after everything is measured: RSS once glibc has returned its free
        # pages (malloc_trim(0) called in the daemon by gdb). What stays is memory in use
        # (cache, held work); what goes was freed but kept by the allocator.
        trimmed = trim_rss(daemon.pid) if args.trim_check and daemon.poll() is None else None
        after_hit = after_miss = None
        try:
            after_hit = dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=3)
            after_miss = dns.query.udp(dns.message.make_query("after%d.wild.example." % os.getpid(), "A"),
                                       ADDR, timeout=3)
        except Exception as e:  # noqa: BLE001
            failures.append("no answer after the soak: %s" % type(e).__name__)
        alive = daemon.poll() is None
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if probe:
            probe.close()
        if sampler:
            sampler.close()
        if hole:
            hole.close()
        lab.stop()

    def grab(label):
        m = re.search(r"%s:\s+([\d.]+)" % label, perf_out)
        return float(m.group(1)) if m else float("nan")
    sent, completed, lost = grab("Queries sent"), grab("Queries completed"), grab("Queries lost")
    with open(os.path.join(args.out, "samples.csv"), "w") as f:
        f.write("t_s,phase,rss_kib,hwm_kib,fds\n")
        for x in sampler.samples:
            f.write("%.2f,%s,%d,%d,%d\n" % (x[0] - t0, x[1], x[2], x[3], x[4]))
    bound_kib, parts = memory_bound_kib(SETTINGS, args.cache_mb)
    fdb = fd_bound(SETTINGS)
    peak_rss = max(x[2] for x in sampler.samples)
    peak_hwm = max([x[3] for x in sampler.samples] + [end["VmHWM"] if end else 0])
    peak_fds = max(x[4] for x in sampler.samples)
    mib = lambda k: k / 1024  # noqa: E731

    print("## soak: %d s of attack phases (%d s each) + %d s warm-up, mixed load %d q/s, cache %d MiB\n"
          % (phase_s * len(PHASES), phase_s, warm_s, args.qps, args.cache_mb, ))
    print("settings: " + "; ".join("%s.%s = %s" % (s, k, v) for s in SETTINGS for k, v in SETTINGS[s].items()))
    print()
    print("| phase | wall s | RSS end / peak (MiB) | VmHWM (MiB) | fds end / peak | probe miss fail/asked "
          "| probe hit fail/asked (UDP, TCP) | attack |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for ph in ("warm-up",) + PHASES + ("between", "wind-down", "settle"):
        xs = sampler.of(ph)
        if not xs:
            continue
        pc = probe.counts
        miss = "%d/%d" % (pc["%s/miss/failed" % ph], pc["%s/miss/asked" % ph])
        hit = "%d/%d, %d/%d" % (pc["%s/hit/failed" % ph], pc["%s/hit/asked" % ph],
                                pc["%s/hit-tcp/failed" % ph], pc["%s/hit-tcp/asked" % ph])
        print("| %s | %s | %.1f / %.1f | %.1f | %d / %d | %s | %s | %s |" % (
            ph, ("%.1f" % phase_times[ph]) if ph in phase_times else "",
            mib(xs[-1][2]), mib(max(x[2] for x in xs)), mib(max(x[3] for x in xs)),
            xs[-1][4], max(x[4] for x in xs), miss, hit, fmt_stats(stats.get(ph, {}))))
    print()
    pc = probe.counts
    probe_asked = sum(pc["all/%s/asked" % k] for k in ("miss", "hit", "hit-tcp"))
    probe_failed = sum(pc["all/%s/failed" % k] for k in ("miss", "hit", "hit-tcp"))
    lat = {k: sorted(v) for k, v in probe.latency.items()}
    p99 = lambda v: v[int(len(v) * 0.99)] * 1000 if v else float("nan")  # noqa: E731
    print("| soak totals | value |")
    print("|---|---:|")
    print("| mixed load: dnsperf queries sent / completed / lost | %d / %d / %d |" % (sent, completed, lost))
    print("| mixed load: queries per second, average latency (s) | %.0f, %s |"
          % (grab("Queries per second"), grab("Average Latency \\(s\\)")))
    print("| garbage UDP packets / junk TCP connections | %d / %d |" % (counts["udp"], counts["tcp"]))
    for k in ("miss", "hit", "hit-tcp"):
        print("| probe %s: failed / asked, p99 latency (ms) | %d / %d, %.1f |"
              % (k, pc["all/%s/failed" % k], pc["all/%s/asked" % k], p99(lat.get(k))))
    print("| datagrams that reached the black hole | %d |" % hole.datagrams)
    print("| RSS start / before attacks / peak / end (MiB) | %.1f / %.1f / %.1f / %.1f |"
          % (mib(st0["VmRSS"]), mib(warm["VmRSS"]), mib(peak_rss), mib(end["VmRSS"]) if end else float("nan")))
    print("| VmHWM at end (MiB) | %.1f |" % mib(peak_hwm))
    print("| RSS in use (after malloc_trim(0)) between rounds / at end (MiB) | %s / %s |" % (
        ", ".join("%.1f" % mib(b["VmRSS"]) if b else "?" for b in between) or "-",
        "%.1f" % mib(trimmed["VmRSS"]) if trimmed else "not measured"))
    print("| fds start / before attacks / peak / end | %d / %d / %d / %s |"
          % (st0["fds"], warm["fds"], peak_fds, end["fds"] if end else "?"))
    print("| settle time until fds came back (s) | %.1f |" % settle_s)
    print("| memory bound checked (MiB) | %.1f = %s |" % (mib(bound_kib), " + ".join(
        "%s %.1f" % (k, mib(v)) for k, v in parts.items())))
    print("| fd bound checked | %d = %d fixed + tcp_max_connections + tls.max_connections + "
          "max_outstanding_upstream |" % (fdb, FIXED_FDS))
    print("| answers after the soak (hit, miss) | %s, %s |" % (
        dns.rcode.to_text(after_hit.rcode()) if after_hit else "none",
        dns.rcode.to_text(after_miss.rcode()) if after_miss else "none"))
    print("| wall time (s) | %.1f |" % elapsed)
    if probe.failures:
        print("\nprobe failures (first 10):")
        for f in probe.failures[:10]:
            print("  %.1f s %s %s %s: %s" % (f[0] - t0, f[1], f[2], f[3], f[4]))

    if not alive:
        failures.append("port53d is not running at the end (exit %s)" % daemon.returncode)
    if peak_hwm > bound_kib:
        failures.append("peak RSS %.1f MiB over the bound %.1f MiB" % (mib(peak_hwm), mib(bound_kib)))
    if peak_fds > fdb:
        failures.append("peak fds %d over the bound %d" % (peak_fds, fdb))
    if probe_failed > args.probe_fail_share * max(probe_asked, 1):
        failures.append("probe failed %d of %d (allowed %.1f%%)" % (probe_failed, probe_asked,
                                                                    100 * args.probe_fail_share))
    if not (lost <= args.lost_share * sent):
        failures.append("mixed load lost %d of %d queries" % (lost, sent))
    if end and end["fds"] > st0["fds"] + 4:
        failures.append("fds did not come back: %d at the end, %d at the start" % (end["fds"], st0["fds"]))
    # Memory a finished attack left behind. After malloc_trim(0) (gdb), what is in use must be
    # within cache.size_mb + the fixed part (no in-flight work is left), and must not grow
    # from one round to the next; without gdb, RSS at the end must be within the bound.
    rss_back = (args.cache_mb + FIXED_MIB) * 1024 if trimmed else bound_kib
    end_rss, how = (trimmed["VmRSS"], "after malloc_trim(0)") if trimmed else (end["VmRSS"] if end else 0, "")
    if trimmed and between and between[0] and trimmed["VmRSS"] > between[0]["VmRSS"] + 4 * 1024:
        failures.append("memory in use grew from round 1 to round %d: %.1f -> %.1f MiB (a leak?)" % (
            args.rounds, mib(between[0]["VmRSS"]), mib(trimmed["VmRSS"])))
    if end_rss > rss_back:
        failures.append("RSS did not come back: %.1f MiB at the end%s, over %.1f MiB"
                        % (mib(end_rss), " " + how if how else "", mib(rss_back)))
    if after_hit is None or after_hit.rcode() != dns.rcode.NOERROR or \
            after_miss is None or after_miss.rcode() != dns.rcode.NOERROR:
        failures.append("the daemon did not answer normally after the soak")
    if stats["all"]["attack_threads_stuck"] or any(stats[p]["attack_threads_stuck"] for p in PHASES):
        failures.append("an attack thread did not stop")
    print("\nsoak: %s" % ("PASS" if not failures else "FAIL"))
    for f in failures:
        print("soak: FAIL: " + f)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
