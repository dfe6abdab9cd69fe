"""Broken DNSSEC: the lab's broken() zones, each with one trap.  Bogus data
is SERVFAIL with an Extended DNS Error (RFC 8914) from a cold and a warm
cache, CD=1 still gets the data, and none of it spills over onto the secure
names that share the parents, the name server and the key cache.  The rcode
and AD bit of every case are also checked by test_cases.py and
test_dnssec.py; here the focus is EDE and CD."""
import time
from concurrent.futures import ThreadPoolExecutor

import dns.dnssec
import dns.edns
import dns.exception
import dns.flags
import dns.name
import dns.rdatatype
import pytest

import zones
from conftest import KIND
from dnsclient import answer_set, ask, make, rcode_text, udp

BOGUS = [c.id for c in zones.CASES if c.cd_answer]
WITH_EDE = [c.id for c in zones.CASES if c.ede is not None]
BOGUS_ZONES = [c.qname.split(".", 1)[1] for c in zones.CASES if c.cd_answer]


def expected_ede(case, label):
    """The EDE codes a reply must carry.  Unbound 1.17.1 (the packaged
    reference) differs in two ways, its verdicts being the same: it has no
    EDE 27 for too many NSEC3 iterations, and a bogus answer from its cache
    carries the generic EDE 6 (it caches the specific reason only from 1.18,
    NLnetLabs/unbound#790).  Cold, its codes match port53's."""
    if KIND == "unbound":
        if case["ede"] == zones.EDE_NSEC3_ITERATIONS:
            return []
        if label == "warm" and case["rcode"] == "SERVFAIL":
            return [zones.EDE_BOGUS]
    return [case["ede"]]


def ede_codes(resp):
    return [opt.code for opt in resp.options if opt.otype == dns.edns.OptionType.EDE]


def ad(resp):
    return bool(resp.flags & dns.flags.AD)


def query(addr, qname, qtype, cd=False):
    q = make(qname, qtype)
    if cd:
        q.flags |= dns.flags.CD
    return udp(addr, q)


@pytest.mark.parametrize("case_id", WITH_EDE)
def test_ede_cold_then_warm(resolver, cases, case_id):
    c = cases[case_id]
    for label in ("cold", "warm"):
        r = query(resolver.addr, c["qname"], c["qtype"])
        where = "%s (%s)" % (label, c["why"])
        assert rcode_text(r) == c["rcode"], where
        assert ad(r) == c["secure"], where
        assert ede_codes(r) == expected_ede(c, label), where


@pytest.mark.parametrize("case_id", BOGUS)
def test_cd_gets_the_unvalidated_data(resolver, cases, case_id):
    """CD=1 from a cold cache gets the data (never AD).  The same question
    without CD must still fail afterwards: the unchecked data now in the cache
    must not be served as if validated.  Then CD=1 again, from that cache."""
    c = cases[case_id]
    for step, cd in (("cold CD", True), ("no CD", False), ("warm CD", True)):
        r = query(resolver.addr, c["qname"], c["qtype"], cd=cd)
        assert not ad(r), step
        if cd:
            assert rcode_text(r) == "NOERROR", step
            assert answer_set(r) == c["cd_answer"], step
        else:
            assert rcode_text(r) == "SERVFAIL", step
            assert answer_set(r) == [], step


def bogus_traffic(addr, rounds):
    """Fresh names in every broken zone (NXDOMAIN proofs there are just as
    broken) plus the cases' own names, with and without CD.  Returns how many
    queries got no reply at all."""
    lost = 0
    for i in range(rounds):
        for zone in BOGUS_ZONES:
            for qname, cd in (("x%d.%s" % (i, zone), False), ("www." + zone, i % 2 == 1)):
                try:
                    query(addr, qname, "A", cd=cd)
                except dns.exception.Timeout:
                    lost += 1
    return lost


def test_secure_cases_stay_secure_amid_bogus_traffic(resolver, cases):
    """Four clients send bogus queries while the secure cases are resolved
    from a cold cache, then the secure cases again: all answered, all AD
    (a failed DNSKEY or DS fetch must not poison the parents' keys)."""
    good = [c for c in cases.values() if c["secure"]]
    with ThreadPoolExecutor(4) as pool:
        noise = [pool.submit(bogus_traffic, resolver.addr, 25) for _ in range(4)]
        for label in ("during", "after"):
            if label == "after":
                assert sum(f.result() for f in noise) == 0, "bogus queries went unanswered"
            for c in good:
                _, r = ask(resolver.addr, c["qname"], c["qtype"])
                where = "%s %s %s bogus traffic" % (c["qname"], c["qtype"], label)
                assert rcode_text(r) == c["rcode"], where
                assert answer_set(r) == c["answer"], where
                assert ad(r), where
                assert ede_codes(r) == [], where
    for case_id in BOGUS:     # and the bogus ones stay bogus
        r = query(resolver.addr, cases[case_id]["qname"], "A")
        assert rcode_text(r) == "SERVFAIL", case_id


# ---- the traps themselves, asked of the name server directly (no resolver):
# without them the tests above would prove nothing.

def served(qname, qtype, server="good"):
    """(RRset, its RRSIGs) as the server holds them; None for what is missing."""
    q = make(qname, qtype, do=True, ad=False)
    q.flags &= ~dns.flags.RD
    rtype = dns.rdatatype.from_text(qtype)
    rrsets = {(rr.rdtype, rr.covers): rr for rr in udp(zones.SERVERS[server], q).answer}
    return (rrsets.get((rtype, dns.rdatatype.NONE)),
            rrsets.get((dns.rdatatype.RRSIG, rtype)))


def key_tags(zone):
    keys, _ = served(zone, "DNSKEY")
    return {dns.dnssec.key_id(k) for k in keys} if keys else set()


def test_lab_signatures_outside_their_window(lab):
    now = time.time()
    expired, not_yet = served("www.expired.lab.", "A")[1], served("www.notyet.lab.", "A")[1]
    assert expired and all(s.expiration < now for s in expired)
    assert not_yet and all(s.inception > now for s in not_yet)


def test_lab_key_traps(lab):
    ds, _ = served("dsmismatch.lab.", "DS", server="lab")
    assert ds and not {d.key_tag for d in ds} & key_tags("dsmismatch.lab.")
    assert key_tags("nodnskey.lab.") == set()
    assert served("www.nodnskey.lab.", "A")[1], "data still signed"
    published = key_tags("wrongkey.example.")
    assert len(published) == 1
    assert served("wrongkey.example.", "DNSKEY")[1][0].key_tag in published
    assert {s.key_tag for s in served("www.wrongkey.example.", "A")[1]}.isdisjoint(published)
    keys, _ = served("rsamd5.lab.", "DNSKEY")
    assert {k.algorithm for k in keys} == {zones.RSAMD5}


def test_lab_forged_record_fails_its_signature(lab):
    a, sigs = served("www.forged.example.", "A")
    assert [rd.to_text() for rd in a] == ["192.0.2.166"]
    keys, _ = served("forged.example.", "DNSKEY")
    with pytest.raises(dns.dnssec.ValidationFailure):
        dns.dnssec.validate(a, sigs, {dns.name.from_text("forged.example."): keys})


def test_lab_nsec3_iterations(lab):
    params, _ = served("iter500.example.", "NSEC3PARAM")
    assert [p.iterations for p in params] == [500]
