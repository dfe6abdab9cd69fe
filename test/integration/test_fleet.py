"""A fleet behind dnsdist (issue 15): three port53d instances and Debian's dnsdist running
the example configuration (conf/examples/fleet/dnsdist.conf, its addresses changed to the
test's). Every lab case resolves through dnsdist; the instances see the real client
through PROXY v2; consistent hashing makes the fleet's cache-hit ratio on a repeated name
set that of a single instance (each name is resolved once in the whole fleet); and with
one instance killed in the middle of a bounded load every client query is still answered
within the client's timeout (the client asks again, dnsdist has taken the dead instance
out and the name's new owner answers)."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import PORT53D, OwnPort53d, port53d_only, wait_for
from dnsclient import ask, make
from test_cases import check

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "lab"))
import zones  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "examples", "fleet",
                       "dnsdist.conf")
DNSDIST = "127.53.0.120"
BACKENDS = ["127.53.0.121", "127.53.0.122", "127.53.0.123"]
SINGLE = "127.53.0.124"     # one instance alone, the hit ratio to match
CLIENT = "127.53.0.125"     # the clients' own address, which the instances must see
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")

# The walk zone's names (tools/lab/zones.py), distinct and all NOERROR: the hit-ratio test
# takes the first ones, the kill test the next ones, so both start cold.
WALK_NAMES = [line.split()[0] + "." + zones.WALK_ZONE
              for line in zones.many_names(zones.WALK_NAMES, seed=13)]
RATIO_NAMES = WALK_NAMES[:400]
KILL_NAMES = WALK_NAMES[400:1400]

pytestmark = port53d_only


def dnsdist_config(tmp_path):
    """The example with the test's addresses; nothing else changed."""
    text = open(EXAMPLE).read()
    text = text.replace("setLocal('10.53.0.1:53')", "setLocal('%s:53')" % DNSDIST)
    text = text.replace("source = '10.53.0.1'", "source = '%s'" % DNSDIST)
    for i, addr in enumerate(BACKENDS):
        text = text.replace("10.53.0.1%d:53" % (i + 1), addr + ":53")
    assert "10.53.0." not in text, "the example's addresses changed: update the test"
    path = tmp_path / "dnsdist.conf"
    path.write_text(text)
    return path


def backend_extra(sock, queries):
    text = """
[control]
socket = "{sock}"
[query_log]
file = "{queries}"
""".format(sock=sock, queries=queries)
    return text + '[proxy_protocol]\nfrom = ["%s"]\n' % DNSDIST


class Dnsdist:
    def __init__(self, conf, log):
        self.conf, self.log, self.proc = conf, log, None

    def __enter__(self):
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(["dnsdist", "--supervised", "--disable-syslog",
                                          "-C", str(self.conf)], stdout=out, stderr=out)
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log_text(self):
        return open(self.log).read()


def stats(sock):
    r = subprocess.run([CTL, "-s", sock, "stats", "--json"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r
    return json.loads(r.stdout)


def lookups(sock):
    """(answer-cache hits, misses) of one instance."""
    out = {"hit": 0, "miss": 0}
    for s in stats(sock)["port53_answer_cache_lookups_total"]:
        out[s["labels"]["result"]] = s["value"]
    return out["hit"], out["miss"]


@pytest.fixture(scope="module")
def fleet(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    instances = []
    try:
        for i, addr in enumerate(BACKENDS):
            sock, queries = str(tmp / ("b%d.sock" % i)), tmp / ("b%d.queries" % i)
            p = OwnPort53d(lab, tmp, addr, extra=backend_extra(sock, queries), name="b%d" % i)
            p.__enter__()
            p.sock, p.queries = sock, queries
            instances.append(p)
        with Dnsdist(dnsdist_config(tmp), tmp / "dnsdist.log") as d:
            # Up once it answers and its first health checks have passed for all three.
            wait_for(lambda: answers(DNSDIST, "resolver.arpa.", "SOA"), "dnsdist to answer")
            wait_for(lambda: d.log_text().count("'up'") >= len(BACKENDS),
                     "dnsdist to mark the three instances up")
            d.instances = instances
            yield d
    finally:
        for p in instances:
            p.__exit__(None, None, None)


def answers(addr, name, qtype):
    try:
        r = dns.query.udp(dns.message.make_query(name, qtype), addr, timeout=0.5,
                          source=CLIENT)
        return r.rcode() == dns.rcode.NOERROR
    except Exception:
        return False


def test_every_lab_case_resolves_through_dnsdist(fleet, cases):
    for case in cases.values():
        first, final = ask(DNSDIST, case["qname"], case["qtype"], source=CLIENT)
        check(case, final, "through dnsdist")


def test_the_instances_see_the_real_client(fleet):
    # dnsdist sends every query from its own address; PROXY v2 carries the client's.
    name = WALK_NAMES[-1]
    r = dns.query.udp(make(name, "A"), DNSDIST, timeout=8, source=CLIENT)
    assert r.rcode() == dns.rcode.NOERROR

    def logged_lines():
        return [json.loads(l) for p in fleet.instances if p.queries.exists()
                for l in p.queries.read_text().splitlines()]

    def mine_of(lines):
        return [q for q in lines if q["name"].rstrip(".") == name.rstrip(".")]

    # The query log's writer drains every 100 ms: wait for the line, not only the file.
    wait_for(lambda: mine_of(logged_lines()), "the query's line in a query log")
    logged = logged_lines()
    mine = mine_of(logged)
    assert [q["client"].split("#")[0] for q in mine] == [CLIENT], mine
    # dnsdist's health checks come with LOCAL headers: the proxy as itself.
    # The fixture's readiness probe asks the same name through dnsdist, as CLIENT.
    askers = {q["client"].split("#")[0] for q in logged
              if q["name"].rstrip(".") == "resolver.arpa"}
    assert DNSDIST in askers and askers <= {DNSDIST, CLIENT}, askers


def ask_rounds(addr, names, rounds):
    for _ in range(rounds):
        for name in names:
            r = dns.query.udp(make(name, "A"), addr, timeout=8, source=CLIENT)
            assert r.rcode() == dns.rcode.NOERROR, name


def test_consistent_hashing_keeps_the_fleet_hit_ratio_of_one_instance(fleet, lab, tmp_path):
    rounds = 4
    before = [lookups(p.sock) for p in fleet.instances]
    ask_rounds(DNSDIST, RATIO_NAMES, rounds)
    after = [lookups(p.sock) for p in fleet.instances]
    per = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before)]
    hits, misses = sum(h for h, _ in per), sum(m for _, m in per)
    # dnsdist's health checks count too (a few a second): hence "about".
    assert hits + misses >= rounds * len(RATIO_NAMES)
    fleet_ratio = hits / (hits + misses)
    # Each name once in the whole fleet, not once per instance.
    assert misses <= len(RATIO_NAMES) * 1.03 + len(BACKENDS), per
    # Every instance has its share of the names.
    for h, m in per:
        assert h + m >= 0.15 * (hits + misses), per

    sock = str(tmp_path / "single.sock")
    extra = backend_extra(sock, tmp_path / "single.queries")
    with OwnPort53d(lab, tmp_path, SINGLE, extra=extra, name="single") as one:
        one.sock = sock
        b = lookups(sock)
        ask_rounds(SINGLE, RATIO_NAMES, rounds)
        a = lookups(sock)
    single_ratio = (a[0] - b[0]) / ((a[0] - b[0]) + (a[1] - b[1]))
    print("\nfleet: hit ratio %.4f (per instance hits/misses %s), one instance %.4f"
          % (fleet_ratio, per, single_ratio))
    assert abs(fleet_ratio - single_ratio) <= 0.03, (fleet_ratio, single_ratio, per)


class Client(threading.Thread):
    """A stub resolver: each question asked up to `tries` times, `per_try` seconds apart,
    as glibc's resolver does (options timeout:N attempts:N)."""

    def __init__(self, names, per_try=1.0, tries=5, gap=0.03):
        super().__init__()
        self.names, self.per_try, self.tries, self.gap = names, per_try, tries, gap
        self.results = []   # (name, rcode or None, seconds, tries used)

    def run(self):
        for name in self.names:
            start, rcode, used = time.monotonic(), None, 0
            for used in range(1, self.tries + 1):
                try:
                    r = dns.query.udp(make(name, "A"), DNSDIST, timeout=self.per_try,
                                      source=CLIENT)
                    rcode = r.rcode()
                    break
                except dns.exception.Timeout:
                    continue
            self.results.append((name, rcode, time.monotonic() - start, used))
            time.sleep(self.gap)


def test_killing_an_instance_under_load_loses_no_client_query(fleet):
    victim = fleet.instances[1]
    threads = 8
    share = len(KILL_NAMES) // threads
    clients = [Client(KILL_NAMES[i * share:(i + 1) * share]) for i in range(threads)]
    for c in clients:
        c.start()
    time.sleep(1.5)
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(5)
    for c in clients:
        c.join(120)
        assert not c.is_alive()
    results = [r for c in clients for r in c.results]
    assert len(results) == threads * share
    unanswered = [r for r in results if r[1] is None]
    failed = [r for r in results if r[1] not in (None, dns.rcode.NOERROR)]
    assert not unanswered, unanswered[:10]
    assert not failed, failed[:10]
    latencies = sorted(r[2] for r in results)
    print("\nkill: %d questions, %d asked again, latency p50 %.1f ms, p99 %.1f ms, max %.2f s"
          % (len(results), sum(r[3] > 1 for r in results), 1000 * latencies[len(results) // 2],
             1000 * latencies[len(results) * 99 // 100], latencies[-1]))
    budget = 5.0  # the client's timeout: 5 tries of 1 s
    assert max(r[2] for r in results) < budget
    # The kill mattered: some questions went to the dead instance and were asked again.
    assert any(r[3] > 1 for r in results)
    assert re.search(r"Marking downstream port53-b .* as 'down'", fleet.log_text()), \
        fleet.log_text()[-2000:]
