"""Resilience (issue 5): serve-stale when authorities fail (RFC 8767) and prefetch of
popular answers. Each test runs its own port53d on its own address with its own
config, so timing does not depend on the shared resolver."""
import time

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import OwnPort53d, port53d_only

ADDR = "127.53.0.10"


@pytest.fixture
def own_port53d(lab, tmp_path):
    """Starts a port53d with extra [cache] settings; stopped after the test."""
    daemons = []

    def start(extra_cache=""):
        daemons.append(OwnPort53d(lab, tmp_path, ADDR, cache=extra_cache).__enter__())

    yield start
    for d in daemons:
        d.__exit__(None, None, None)


def ask(name, rdtype="A"):
    q = dns.message.make_query(name, rdtype, use_edns=0)
    return dns.query.udp(q, ADDR, timeout=10)


def ede_codes(msg):
    return [o.code for o in msg.options if o.otype == dns.edns.EDE]


@port53d_only
def test_stale_answer_when_the_authority_is_down(lab, own_port53d):
    own_port53d()
    first = ask("short.sec.lab.")
    assert first.rcode() == dns.rcode.NOERROR
    assert first.answer[0].ttl <= 5
    lab.stop_server("sec")
    try:
        time.sleep(6.5)  # the TTL-5 answer has expired
        stale = ask("short.sec.lab.")
        assert stale.rcode() == dns.rcode.NOERROR
        assert [rr.address for rr in stale.answer[0]] == ["192.0.2.5"]
        assert stale.answer[0].ttl == 30
        assert 3 in ede_codes(stale)  # Stale Answer
        # a name never seen cannot be served stale
        assert ask("never.sec.lab.").rcode() == dns.rcode.SERVFAIL
    finally:
        lab.start_server("sec")
    fresh = ask("short.sec.lab.")
    assert fresh.rcode() == dns.rcode.NOERROR and fresh.answer[0].ttl <= 5
    assert not ede_codes(fresh)


@port53d_only
def test_stale_answers_can_be_switched_off(lab, own_port53d):
    own_port53d("serve_stale = false\n")
    assert ask("short.sec.lab.").rcode() == dns.rcode.NOERROR
    lab.stop_server("sec")
    try:
        time.sleep(6.5)
        assert ask("short.sec.lab.").rcode() == dns.rcode.SERVFAIL
    finally:
        lab.start_server("sec")


@port53d_only
def test_prefetch_refreshes_a_popular_answer(lab, own_port53d):
    # Every TTL capped at 20 s: an answer asked for in its last 2 s is refreshed early.
    own_port53d("max_ttl = 20\n")
    t0 = time.time()
    assert ask("www.sec.lab.").answer[0].ttl == 20
    # Cache time is whole seconds: 18.5 s in is inside the last tenth and safely unexpired.
    time.sleep(max(0, t0 + 18.5 - time.time()))
    assert ask("www.sec.lab.").answer[0].ttl <= 2  # served from cache, triggers the refresh
    time.sleep(max(0, t0 + 21.5 - time.time()))
    # Past the original expiry: without prefetch this would be a fresh fetch with TTL 20.
    refreshed = ask("www.sec.lab.")
    assert refreshed.rcode() == dns.rcode.NOERROR
    assert 14 <= refreshed.answer[0].ttl <= 19


@port53d_only
def test_nxns_delegation_is_cut_off(lab, tmp_path):
    """A delegation to hundreds of NS names that do not exist must not make the resolver
    look them all up (NXNS, CVE-2020-12662): count its upstream questions for them."""
    daemon = OwnPort53d(lab, tmp_path, ADDR, log_level="debug")
    with daemon:
        t0 = time.time()
        assert ask("www.nxns.lab.").rcode() == dns.rcode.SERVFAIL
        assert time.time() - t0 < 5
        assert ask("www.sec.lab.").rcode() == dns.rcode.NOERROR  # still serving
    lookups = [l for l in daemon.log_text().splitlines() if " ask " in l and "sink.example." in l]
    assert 0 < len(lookups) <= 20, "%d upstream queries for the NS names" % len(lookups)


@port53d_only
def test_0x20_case_randomisation_keeps_answers_right(lab, tmp_path):
    with OwnPort53d(lab, tmp_path, ADDR, resolver="use_0x20 = true\n"):
        chain = ask("c1.sec.lab.")
        assert chain.rcode() == dns.rcode.NOERROR
        assert chain.answer[-1][0].address == "198.51.100.44"
        assert ask("www.dname.lab.").answer[-1][0].address == "198.51.100.30"
        assert ask("nope.sec.lab.").rcode() == dns.rcode.NXDOMAIN


@port53d_only
def test_nothing_below_a_validated_nxdomain_is_asked_for(lab, tmp_path):
    """RFC 8020: after a DNSSEC-validated NXDOMAIN for nope.sec.lab., names below it are
    answered NXDOMAIN (with AD) from the cache, without asking the authorities."""
    daemon = OwnPort53d(lab, tmp_path, ADDR, log_level="debug", name="rfc8020")
    with daemon:
        def ask_ad(name):
            q = dns.message.make_query(name, "A", want_dnssec=True)
            return dns.query.udp(q, ADDR, timeout=5)
        first = ask_ad("nope.sec.lab.")
        assert first.rcode() == dns.rcode.NXDOMAIN and first.flags & dns.flags.AD
        below = ask_ad("deep.below.nope.sec.lab.")
        assert below.rcode() == dns.rcode.NXDOMAIN and below.flags & dns.flags.AD
    asked = [l for l in daemon.log_text().splitlines() if " ask " in l and "below.nope" in l]
    assert asked == []
