"""DNSSEC as seen by a validating stub: AD for secure data, RRSIGs only when
asked for with DO, and signed answers that carry their signatures."""
import dns.flags
import dns.rdatatype
import pytest

import zones
from dnsclient import answer_set, ask, make, rcode_text, udp, tcp

SECURE_ANSWERS = [c.id for c in zones.CASES if c.secure and c.answer]
WITH_STATUS = [c.id for c in zones.CASES if c.secure is not None]


@pytest.mark.parametrize("case_id", WITH_STATUS)
def test_validation_status(resolver, cases, case_id):
    """AD=1 in the query, no DO: AD in the reply says secure (RFC 6840 5.7).
    Cold cache, so the whole chain of trust is fetched for this answer."""
    c = cases[case_id]
    for label in ("cold", "warm"):
        _, r = ask(resolver.addr, c["qname"], c["qtype"])
        assert rcode_text(r) == c["rcode"], label
        assert answer_set(r) == c["answer"], label
        assert bool(r.flags & dns.flags.AD) == c["secure"], "AD bit, %s (%s)" % (
            label, c["why"] or case_id)


@pytest.mark.parametrize("case_id", SECURE_ANSWERS)
def test_do_bit_returns_signatures(shared_resolver, cases, case_id):
    c = cases[case_id]
    r = tcp(shared_resolver.addr, make(c["qname"], c["qtype"], do=True))
    assert rcode_text(r) == c["rcode"]
    assert r.flags & dns.flags.AD
    assert answer_set(r) == c["answer"]
    signed = {(rrset.name, rrset.covers) for rrset in r.answer
              if rrset.rdtype == dns.rdatatype.RRSIG}
    has_dname = any(rrset.rdtype == dns.rdatatype.DNAME for rrset in r.answer)
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            continue
        if has_dname and rrset.rdtype == dns.rdatatype.CNAME:
            continue        # synthesised from the DNAME: unsigned by design
        assert (rrset.name, rrset.rdtype) in signed, "no RRSIG for %s" % rrset.name


def test_no_signatures_without_do(shared_resolver):
    r = udp(shared_resolver.addr, make("www.sec.lab.", "A", do=False))
    assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"]
    assert not any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in r.answer)


def test_insecure_answer_has_no_ad_even_with_do(shared_resolver):
    r = udp(shared_resolver.addr, make("www.insecure.lab.", "A", do=True))
    assert answer_set(r) == ["www.insecure.lab. A 192.0.2.90"]
    assert not r.flags & dns.flags.AD


def test_no_ad_when_client_does_not_ask(shared_resolver):
    # RFC 6840 5.7/5.8: AD only for clients that set AD or DO
    r = udp(shared_resolver.addr, make("www.sec.lab.", "A", do=False, ad=False))
    assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"]
    assert not r.flags & dns.flags.AD
