"""Truncation and TCP behaviour: EDNS and non-EDNS clients, large answers,
several queries pipelined on one TCP connection."""
import socket
import struct

import dns.flags
import dns.message
import dns.rdatatype

import zones
from dnsclient import answer_set, make, rcode_text, recv_exact, tcp, tcp_pipeline, udp

BIG = ("big.sec.lab.", "TXT")


def big_strings(resp):
    return sorted(b"".join(rd.strings).decode() for rrset in resp.answer
                  if rrset.rdtype == dns.rdatatype.TXT for rd in rrset)


def test_big_rrset_udp_edns_1232_is_truncated(shared_resolver):
    r = udp(shared_resolver.addr, make(*BIG, payload=1232))
    assert r.flags & dns.flags.TC
    assert len(r.to_wire()) <= 1232


def test_big_rrset_over_tcp_is_complete(shared_resolver):
    r = tcp(shared_resolver.addr, make(*BIG))
    assert rcode_text(r) == "NOERROR"
    assert not r.flags & dns.flags.TC
    assert big_strings(r) == sorted(zones.big_txt_strings())


def test_big_rrset_with_dnssec_over_tcp(shared_resolver):
    # with RRSIGs the answer grows further; still one complete TCP message
    r = tcp(shared_resolver.addr, make(*BIG, do=True))
    assert big_strings(r) == sorted(zones.big_txt_strings())
    assert any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in r.answer)


def test_client_without_edns_gets_tc_over_512(shared_resolver):
    r = udp(shared_resolver.addr, make(*BIG, edns=False, ad=False))
    assert r.flags & dns.flags.TC
    assert len(r.to_wire()) <= 512
    assert r.edns < 0, "no OPT record in a reply to a query without one"


def test_client_without_edns_small_answer_not_truncated(shared_resolver):
    r = udp(shared_resolver.addr, make("www.sec.lab.", "A", edns=False, ad=False))
    assert not r.flags & dns.flags.TC
    assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"]


def test_tcp_pipelined_queries_all_answered(resolver, cases):
    # cold cache: the slow lookups (lame, dead NS, CNAME chain) let a
    # concurrent server answer out of order; replies are matched by ID
    picks = list(cases.values())
    queries = []
    for i, c in enumerate(picks):
        q = make(c["qname"], c["qtype"])
        q.id = 1000 + i
        queries.append(q)
    got = tcp_pipeline(resolver.addr, queries)
    assert sorted(got) == sorted(q.id for q in queries)
    for q, c in zip(queries, picks):
        r = got[q.id]
        assert r.question == q.question, c["id"]
        assert rcode_text(r) == c["rcode"], c["id"]
        assert answer_set(r) == c["answer"], c["id"]


def test_tcp_connection_reused_sequentially(shared_resolver):
    with socket.create_connection((shared_resolver.addr, 53), timeout=8) as s:
        for i, name in enumerate(["www.sec.lab.", "www.target.example.", "www.sec.lab."]):
            q = make(name, "A")
            q.id = 42 + i
            w = q.to_wire()
            s.sendall(struct.pack("!H", len(w)) + w)
            (n,) = struct.unpack("!H", recv_exact(s, 2))
            r = dns.message.from_wire(recv_exact(s, n))
            assert r.id == q.id and rcode_text(r) == "NOERROR"
