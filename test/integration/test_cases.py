"""Every case of the lab's cases.json, over UDP and over TCP, first from a
cold cache (a freshly started resolver) and then again from its warm cache.
The AD bit is checked separately (test_dnssec.py), so that resolution and
validation problems show up as different failures."""
import dns.flags
import pytest

from conftest import case_ids
from dnsclient import answer_set, ask, rcode_text


def check(case, resp, label):
    where = "%s %s %s (%s)" % (case["qname"], case["qtype"], label, case["why"] or case["id"])
    assert rcode_text(resp) == case["rcode"], where
    assert answer_set(resp) == case["answer"], where
    if case["max_ttl"] is not None:
        for rrset in resp.answer:
            assert rrset.ttl <= case["max_ttl"], "TTL: " + where


@pytest.mark.parametrize("transport", ["udp", "tcp"])
@pytest.mark.parametrize("case_id", case_ids())
def test_case_cold_then_warm(resolver, cases, case_id, transport):
    case = cases[case_id]
    for label in ("cold", "warm"):
        first, final = ask(resolver.addr, case["qname"], case["qtype"], transport)
        if transport == "udp":
            # EDNS 1232: only the big RRset may (and must) come back truncated
            truncated = bool(first.flags & dns.flags.TC)
            assert truncated == case["truncates_udp"], "TC bit, %s %s" % (label, case_id)
        check(case, final, "%s/%s" % (label, transport))
