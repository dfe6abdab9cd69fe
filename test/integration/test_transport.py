"""Truncation and TCP behaviour: EDNS and non-EDNS clients, large answers,
several queries pipelined on one TCP connection."""
import socket
import time
import struct

import dns.edns
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


def test_tcp_queries_split_across_writes_and_one_bigger_than_the_read_buffer(shared_resolver):
    # The reader takes what a read gives and answers every whole query in it: a length
    # split from its query, a query split over writes, and a 6 kB one (EDNS padding; the
    # read buffer starts at 4 kB) between small ones must all be answered, in any order.
    big = make("www.sec.lab.", "A")
    big.use_edns(0, options=[dns.edns.GenericOption(12, b"\0" * 6000)])
    queries = [make("www.sec.lab.", "A"), big, make("www.target.example.", "A")]
    for i, q in enumerate(queries):
        q.id = 700 + i
    wires = [q.to_wire(max_size=65535) for q in queries]
    stream = b"".join(struct.pack("!H", len(w)) + w for w in wires)
    with socket.create_connection((shared_resolver.addr, 53), timeout=8) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in (stream[:1], stream[1:2], stream[2:30], stream[30:5000], stream[5000:]):
            s.sendall(piece)
            time.sleep(0.05)
        got = {}
        for _ in queries:
            (n,) = struct.unpack("!H", recv_exact(s, 2))
            r = dns.message.from_wire(recv_exact(s, n))
            got[r.id] = r
    assert sorted(got) == [700, 701, 702]
    assert all(rcode_text(r) == "NOERROR" and r.answer for r in got.values())
