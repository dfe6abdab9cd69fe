"""Forward and stub zones (issue 11): port53d sends questions for a forward zone, whole and
with RD=1, to the resolvers named for it (here a real Unbound from Debian, validating the
lab) and still validates what comes back itself; a stub zone is iterated from its own
servers; a forward zone whose servers are dead fails closed unless `first` is set."""
import re
import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import answer_set, ask, rcode_text

FORWARDER = "127.53.0.20"   # port53d forwarding everything to Unbound
UPSTREAM = "127.53.0.21"    # Unbound, the upstream resolver, on the lab's hints and anchor
ROUTED = "127.53.0.22"      # port53d with forward and stub zones beside iteration
DEAD = "127.100.99.1"       # nothing listens there

# Through a forwarder, every kind of answer the lab has: secure, insecure, denials,
# wildcards, chains across zones, and bogus data (which Unbound hands over with CD=1).
CASES = ["a", "aaaa", "mx", "nxdomain-nsec", "nodata-nsec", "wildcard-nsec", "wildcard-nsec3",
         "nxdomain-nsec3", "cname-chain", "dname", "insecure", "unsupported-alg", "expired",
         "forged", "ds-mismatch"]


@pytest.fixture(scope="module")
def upstream(lab, tmp_path_factory):
    """Unbound on its own address, configured as the lab's reference resolver."""
    tmp = tmp_path_factory.mktemp("unbound-upstream")
    conf = open(lab.unbound_conf).read()
    conf = re.sub(r"interface: \S+", "interface: " + UPSTREAM, conf)
    conf = re.sub(r'(directory|pidfile|logfile): "[^"]*/unbound(/[^"]*)?"',
                  lambda m: '%s: "%s%s"' % (m.group(1), tmp, m.group(2) or ""), conf)
    path = tmp / "unbound.conf"
    path.write_text(conf)
    proc = subprocess.Popen(["unbound", "-d", "-c", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            dns.query.udp(dns.message.make_query("lab.", "SOA"), UPSTREAM, timeout=0.2)
            break
        except (OSError, dns.exception.Timeout):  # not up yet
            time.sleep(0.05)
    yield proc
    proc.terminate()
    proc.wait(5)


@pytest.fixture(scope="module")
def forwarder(lab, upstream, tmp_path_factory):
    extra = '\n[[forward]]\nzone = "."\nservers = ["%s"]\n' % UPSTREAM
    with OwnPort53d(lab, tmp_path_factory.mktemp("fwd"), FORWARDER, extra=extra,
                    log_level="debug", name="forwarder") as p:
        yield p


@pytest.fixture(scope="module")
def routed(lab, tmp_path_factory):
    extra = """
[[forward]]
zone = "sec.lab."
servers = ["%s"]

[[forward]]
zone = "provider.example."
servers = ["%s"]
first = true

[[stub]]
zone = "target.example."
servers = ["127.100.12.1"]
""" % (DEAD, DEAD)
    with OwnPort53d(lab, tmp_path_factory.mktemp("routed"), ROUTED, extra=extra,
                    log_level="debug", name="routed") as p:
        yield p


def asked(own, name=None):
    """The servers port53d asked (for `name`), from its debug log: `ask SERVER NAME/TYPE`."""
    out = []
    for m in re.finditer(r" ask (\S+) (\S+)/", own.log_text()):
        if name is None or m.group(2).lower() == name.lower():
            out.append(m.group(1).rsplit(":", 1)[0])
    return out


@port53d_only
@pytest.mark.parametrize("case_id", CASES)
def test_forwarded_answers_are_validated_here(forwarder, cases, case_id):
    c = cases[case_id]
    _, r = ask(FORWARDER, c["qname"], c["qtype"])
    assert rcode_text(r) == c["rcode"], "%s (%s)\n%s" % (case_id, c["why"], r)
    assert answer_set(r) == c["answer"], r
    assert bool(r.flags & dns.flags.AD) == c["secure"], r


@port53d_only
def test_forwarding_everything_asks_only_the_forwarder(forwarder, cases):
    for case_id in CASES:
        ask(FORWARDER, cases[case_id]["qname"], cases[case_id]["qtype"])
    servers = set(asked(forwarder))
    assert servers == {UPSTREAM}, servers


@port53d_only
def test_a_forward_zone_with_dead_servers_fails_closed(lab, routed):
    _, r = ask(ROUTED, "www.sec.lab.", "A")
    assert rcode_text(r) == "SERVFAIL", r
    # Only the dead forwarder was asked: no fallback to the lab's real servers.
    assert set(asked(routed, "www.sec.lab.")) == {DEAD}


@port53d_only
def test_forward_first_falls_back_to_iteration(routed):
    _, r = ask(ROUTED, "www.provider.example.", "A")
    assert rcode_text(r) == "NOERROR", r
    assert r.flags & dns.flags.AD, r
    servers = asked(routed, "www.provider.example.")
    assert servers[0] == DEAD and "127.100.11.1" in servers, servers


@port53d_only
def test_a_stub_zone_is_iterated_from_its_servers(routed):
    _, r = ask(ROUTED, "www.target.example.", "A")
    assert rcode_text(r) == "NOERROR" and r.answer, r
    assert r.flags & dns.flags.AD, r   # DS from example. by iteration, keys from the stub
    assert set(asked(routed, "www.target.example.")) == {"127.100.12.1"}
