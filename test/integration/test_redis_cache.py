"""The Redis second-level cache (issue 15, "A shared cache"): two port53d sharing one real
redis-server, the second one cold. It answers what the first resolved without asking any
authority; Redis data is validated again (a forged or garbage value is never served as
secure and never crashes it); Redis down, hung or back again never costs an answer.
Addresses 127.53.0.110-119 only."""
import shutil
import socket
import struct
import subprocess
import threading
import time
import urllib.request

import dns.flags
import dns.message
import dns.name
import dns.query
import pytest

from conftest import OwnPort53d, port53d_only, wait_for
from dnsclient import answer_set, ask, rcode_text

REDIS = "127.53.0.110"
REDIS_PORT = 6390
FIRST = "127.53.0.111"    # port53d that resolves and writes
SECOND = "127.53.0.112"   # port53d that starts cold and reads
THIRD = "127.53.0.113"    # port53d for the outage tests
HUNG = "127.53.0.114"     # a TCP listener that accepts and never answers
METRICS_PORT = 9153

pytestmark = [port53d_only,
              pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")]


class Redis:
    """A redis-server of the test's own (no persistence), and a tiny RESP client."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "redis"
        self.dir.mkdir(exist_ok=True)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(REDIS_PORT), "--bind", REDIS, "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--logfile",
             str(self.dir / "redis.log")])
        wait_for(lambda: self._ping(), "redis-server to answer PING", 10)
        return self

    def _ping(self):
        try:
            return self.command("PING") == "PONG"
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def command(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        out = b"*%d\r\n" % len(parts) + b"".join(
            b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        with socket.create_connection((REDIS, REDIS_PORT), timeout=2) as s:
            s.sendall(out)
            f = s.makefile("rb")
            return self._reply(f)

    def _reply(self, f):
        line = f.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else f.read(n + 2)[:-2]
        if kind == b"*":
            return [self._reply(f) for _ in range(int(rest))]
        raise RuntimeError("bad RESP reply %r" % line)


def key(prefix, qname, qtype_code):
    """The key port53 files (qname, qtype, IN) under (cache/shared_entry.hpp)."""
    wire = dns.name.from_text(qname).canonicalize().to_wire()
    return prefix.encode() + b":v1:" + wire + struct.pack("!HH", qtype_code, 1)


def value(zone, next_name, records, security=1, kind=1, written=None):
    """A well-formed value (format 1): records as (owner, type, ttl, rdata bytes)."""
    def name(n):
        return dns.name.from_text(n).to_wire()
    out = b"P53" + bytes([1, kind, security]) + struct.pack("!HI", 0xFFFF,
                                                           int(written or time.time()))
    out += name(zone) + name(next_name) + struct.pack("!H", len(records))
    for owner, rtype, ttl, rdata in records:
        out += name(owner) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return out + struct.pack("!H", 0)


def redis_conf(prefix, address="%s:%d" % (REDIS, REDIS_PORT), timeout_ms=30, addr=FIRST):
    return """
[redis]
enabled = true
address = "%s"
prefix = "%s"
timeout_ms = %d
[metrics]
listen = ["%s:%d"]
access_control = ["127.0.0.0/8 allow"]
""" % (address, prefix, timeout_ms, addr, METRICS_PORT)


def metrics(addr):
    # No proxy from the environment: the page is on loopback, nothing may go elsewhere.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    body = opener.open("http://%s:%d/metrics" % (addr, METRICS_PORT), timeout=5).read().decode()
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def upstream_queries(addr):
    return metrics(addr)["port53_upstream_queries_total"]


def redis_count(addr, result, family="lookups"):
    return metrics(addr)['port53_redis_%s_total{result="%s"}' % (family, result)]


def connected(p, count=2):
    """Both workers (the lab config has two) have their Redis connection."""
    return p.log_text().count("redis: connected") >= count


def settled(addr):
    """Priming and its validation are over: the upstream count stops moving."""
    before = upstream_queries(addr)
    time.sleep(0.5)
    return upstream_queries(addr) == before


def shared_cases(cases):
    """Cases whose answers are written: secure or provably insecure, resolved (no SERVFAIL),
    and not under a route of the lab's own config."""
    return [c for c in cases.values()
            if c["secure"] is not None and c["rcode"] in ("NOERROR", "NXDOMAIN")
            and not c.get("cd_answer")]


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path).start()
    yield r
    r.stop()


def resolve_all(addr, chosen):
    for c in chosen:
        _, r = ask(addr, c["qname"], c["qtype"])
        assert rcode_text(r) == c["rcode"], c["id"]
        assert answer_set(r) == c["answer"], c["id"]
        assert bool(r.flags & dns.flags.AD) == c["secure"], "AD of %s" % c["id"]


def test_a_cold_instance_answers_from_redis_without_asking_anyone(lab, cases, redis, tmp_path):
    chosen = shared_cases(cases)
    assert len(chosen) >= 10
    conf = redis_conf("fleet1")
    with OwnPort53d(lab, tmp_path, FIRST, extra=conf, name="first") as first:
        wait_for(lambda: connected(first), "the first instance's Redis connections")
        resolve_all(FIRST, chosen)
        wait_for(lambda: redis_count(FIRST, "written", "writes") > 0, "writes to Redis")
        written = redis_count(FIRST, "written", "writes")
    assert len(redis.command("KEYS", "fleet1:v1:*")) >= len(chosen)
    with OwnPort53d(lab, tmp_path, SECOND, extra=redis_conf("fleet1", addr=SECOND),
                    name="second", log_level="debug") as second:
        wait_for(lambda: connected(second), "the second instance's Redis connections")
        wait_for(lambda: settled(SECOND), "the second instance's priming to end")
        before = upstream_queries(SECOND)
        resolve_all(SECOND, chosen)      # same answers, same AD bits
        asked = [l for l in second.log_text().splitlines() if " ask " in l]
        assert upstream_queries(SECOND) == before, "the cold instance asked: %s" % asked[-8:]
        assert redis_count(SECOND, "hit") >= len(chosen)
        assert redis_count(SECOND, "rejected") == 0
        hits = redis_count(SECOND, "hit")
        resolve_all(SECOND, chosen)      # now from its own caches
        assert redis_count(SECOND, "hit") == hits
    assert second.proc.returncode == 0 and first.proc.returncode == 0, "exit status"
    print("written by the first: %d; Redis hits of the second: %d" % (written, hits))


def test_forged_and_garbage_values_are_not_trusted(lab, redis, tmp_path):
    prefix = "fleet2"
    a = 1
    # A forged secure A for a signed name: no valid RRSIG, so bogus when judged: rejected.
    redis.command("SET", key(prefix, "www.sec.lab.", a),
                  value("sec.lab.", "www.sec.lab.",
                        [("www.sec.lab.", a, 300, bytes([6, 6, 6, 6]))]))
    # Garbage, a truncated value, another format version.
    good = value("sec.lab.", "mail.sec.lab.", [("mail.sec.lab.", a, 300, bytes([6, 6, 6, 6]))])
    redis.command("SET", key(prefix, "mail.sec.lab.", a), b"\x00garbage\xff" * 7)
    redis.command("SET", key(prefix, "web.sec.lab.", a), good[:-5])
    redis.command("SET", key(prefix, "short.sec.lab.", a), b"P53\x09" + good[4:])
    # A forged record for a provably unsigned name, claiming "secure": served (an unsigned
    # zone has nothing to check it against, as from the network), but never with AD.
    redis.command("SET", key(prefix, "www.insecure.lab.", a),
                  value("insecure.lab.", "www.insecure.lab.",
                        [("www.insecure.lab.", a, 300, bytes([6, 6, 6, 7]))]))
    # Forged unsigned answers that name a zone above the real one, to be judged with the
    # keys of lab. or the root instead of sec.lab.'s: bogus all the same.
    redis.command("SET", key(prefix, "www.sec.lab.", 28),
                  value("lab.", "www.sec.lab.", [("www.sec.lab.", 28, 300, bytes(16))]))
    redis.command("SET", key(prefix, "www.sec.lab.", 16),
                  value(".", "www.sec.lab.", [("www.sec.lab.", 16, 300, b"\x05forge")]))
    # A forged answer that names a zone below the name (to dodge the real cut): invalid.
    redis.command("SET", key(prefix, "mail.sec.lab.", 28),
                  value("x.mail.sec.lab.", "mail.sec.lab.", [("mail.sec.lab.", 28, 300, bytes(16))]))
    with OwnPort53d(lab, tmp_path, THIRD, extra=redis_conf(prefix, addr=THIRD),
                    name="forged") as p:
        wait_for(lambda: connected(p), "Redis connections")
        _, r = ask(THIRD, "www.sec.lab.", "A")
        assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"]
        assert r.flags & dns.flags.AD
        for name in ("mail", "web", "short"):
            _, r = ask(THIRD, name + ".sec.lab.", "A")
            assert rcode_text(r) == "NOERROR" and r.flags & dns.flags.AD, name
            assert "6.6.6.6" not in str(answer_set(r)), name
        _, r = ask(THIRD, "mail.sec.lab.", "AAAA")
        assert rcode_text(r) == "NOERROR" and r.flags & dns.flags.AD
        _, r = ask(THIRD, "www.sec.lab.", "AAAA")
        assert answer_set(r) == ["www.sec.lab. AAAA 2001:db8::1"] and r.flags & dns.flags.AD
        _, r = ask(THIRD, "www.sec.lab.", "TXT")
        assert "forge" not in str(answer_set(r)) and r.flags & dns.flags.AD
        _, r = ask(THIRD, "www.insecure.lab.", "A")
        assert rcode_text(r) == "NOERROR"
        assert not r.flags & dns.flags.AD
        assert redis_count(THIRD, "rejected") >= 3
        assert redis_count(THIRD, "invalid") >= 4
        assert p.proc.poll() is None
    assert p.proc.returncode == 0, "exit status"


class Hung:
    """Accepts TCP connections and never answers (a hung or blackholed Redis)."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HUNG, port))
        self.sock.listen(16)
        self.conns = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                return

    def close(self):
        self.stop = True
        self.sock.close()
        for c in self.conns:
            c.close()


NAMES = ["www.sec.lab.", "mail.sec.lab.", "www.insecure.lab.", "c1.sec.lab.",
         "nope.sec.lab.", "web.sec.lab."]


def answered_in_time(addr, names, bound=3.0):
    for n in names:
        t = time.time()
        _, r = ask(addr, n, "A")
        assert rcode_text(r) in ("NOERROR", "NXDOMAIN"), n
        assert time.time() - t < bound, "%s took %.2f s" % (n, time.time() - t)


def test_a_hung_redis_costs_only_its_timeout(lab, tmp_path):
    hung = Hung(6391)
    try:
        conf = redis_conf("fleet3", address="%s:6391" % HUNG, timeout_ms=30, addr=THIRD)
        with OwnPort53d(lab, tmp_path, THIRD, extra=conf, name="hung") as p:
            wait_for(lambda: connected(p), "connections to the hung listener")
            # Replies come in order, so behind one unanswered lookup the next ones skip Redis
            # at once: a cold resolution (a dozen lookups) is not a dozen timeouts slower.
            answered_in_time(THIRD, NAMES, bound=1.0)
            assert redis_count(THIRD, "timeout") >= len(NAMES)
            assert redis_count(THIRD, "hit") == 0
            assert p.proc.poll() is None
    finally:
        hung.close()


def test_redis_down_then_back(lab, redis, tmp_path):
    conf = redis_conf("fleet4", addr=THIRD)
    with OwnPort53d(lab, tmp_path, THIRD, extra=conf, name="outage") as p:
        wait_for(lambda: connected(p), "Redis connections")
        redis.stop()
        answered_in_time(THIRD, NAMES)
        assert redis_count(THIRD, "error") >= 1
        assert p.proc.poll() is None
        redis.start()
        # Reconnected (backoff at most 5 s): what is resolved now is written, and read back
        # by the next instance.
        wait_for(lambda: p.log_text().count("redis: connected") >= 4, "reconnection", 20)
        before = redis_count(THIRD, "written", "writes")
        _, r = ask(THIRD, "www.sec.lab.", "AAAA")
        assert rcode_text(r) == "NOERROR"
        wait_for(lambda: redis_count(THIRD, "written", "writes") > before, "writes again")
    assert p.proc.returncode == 0, "exit status"
    assert redis.command("GET", key("fleet4", "www.sec.lab.", 28)) is not None


def test_a_unix_socket(lab, tmp_path):
    sock = tmp_path / "redis.sock"
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock),
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL)
    try:
        wait_for(sock.exists, "the Redis socket", 10)
        with OwnPort53d(lab, tmp_path, THIRD, extra=redis_conf("fleet6", address=str(sock),
                                                                addr=THIRD), name="unix") as p:
            wait_for(lambda: connected(p), "Redis connections over the socket")
            _, r = ask(THIRD, "www.sec.lab.", "A")
            assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"]
            wait_for(lambda: redis_count(THIRD, "written", "writes") > 0, "writes")
        assert p.proc.returncode == 0, "exit status"
    finally:
        proc.kill()
        proc.wait(5)


def timed(addr, names):
    """Milliseconds for each name's answer, one at a time, over UDP."""
    out = []
    for n in names:
        q = dns.message.make_query(n, "A")
        t = time.perf_counter()
        r = dns.query.udp(q, addr, timeout=2)
        out.append((time.perf_counter() - t) * 1000)
        assert r.rcode() == 0 and r.answer, n
    return sorted(out)


def test_latency_of_a_redis_hit_against_a_local_hit(lab, redis, tmp_path):
    """200 names under the signed wildcard *.wild.sec.lab: the cold instance's first answer
    for each is a Redis hit (read, validated again, cached), the second a local hit. Aggressive
    NSEC is off on both, so no answer is synthesised from cached proofs instead."""
    names = ["n%d.wild.sec.lab." % i for i in range(200)]
    resolver = "aggressive_nsec = false\n"
    with OwnPort53d(lab, tmp_path, FIRST, resolver=resolver, extra=redis_conf("fleet5"),
                    name="writer") as first:
        wait_for(lambda: connected(first), "Redis connections")
        timed(FIRST, names)
        wait_for(lambda: redis_count(FIRST, "written", "writes") >= len(names), "the writes")
    with OwnPort53d(lab, tmp_path, SECOND, resolver=resolver,
                    extra=redis_conf("fleet5", addr=SECOND), name="reader") as second:
        wait_for(lambda: connected(second), "Redis connections")
        wait_for(lambda: settled(SECOND), "priming to end")
        timed(SECOND, ["warm.wild.sec.lab."])  # the chain of trust, once
        before, hits = upstream_queries(SECOND), redis_count(SECOND, "hit")
        from_redis = timed(SECOND, names)
        local = timed(SECOND, names)
        assert redis_count(SECOND, "hit") - hits == len(names)
        assert upstream_queries(SECOND) == before
    median = lambda xs: xs[len(xs) // 2]
    p90 = lambda xs: xs[len(xs) * 9 // 10]
    print("\nRedis hit: median %.3f ms, p90 %.3f ms; local hit: median %.3f ms, p90 %.3f ms; "
          "added by Redis: %.3f ms" % (median(from_redis), p90(from_redis), median(local),
                                       p90(local), median(from_redis) - median(local)))
    # A Redis hit on loopback: a round trip and one validation, far under the 30 ms timeout.
    assert median(from_redis) < 30
