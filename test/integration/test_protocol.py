"""Odd and hostile requests: the resolver answers them correctly (or drops
them) and keeps serving."""
import struct

import dns.flags
import dns.rcode
import dns.rdatatype

from dnsclient import answer_set, header, make, question, raw_udp, rcode_text, udp


def still_answers(addr):
    r = udp(addr, make("www.sec.lab.", "A"))
    assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"]


def reply_rcode(wire):
    return dns.rcode.to_text(dns.rcode.from_flags(*struct.unpack("!H", wire[2:4]), 0))


def test_garbage_is_dropped_or_formerr(shared_resolver):
    addr = shared_resolver.addr
    packets = [
        b"\x12",                                             # shorter than a header
        header(0x1234, 0x0100) + b"\x03www\x03sec",          # question cut short
        header(0x1235, 0x0100) + b"\xc0\x0c\x00\x01\x00\x01",  # compression loop
        header(0x1236, 0x0100) + b"\x3f" + b"a" * 10,        # label runs past the end
        header(0x1237, 0x0100, qd=1, ar=5) + question("www.sec.lab.", "A"),  # missing RRs
    ]
    for wire in packets:
        reply = raw_udp(addr, wire)
        if reply is not None:
            assert len(reply) >= 12 and reply[:2] == wire[:2]
            assert reply_rcode(reply) == "FORMERR", wire
    still_answers(addr)


def test_two_questions_is_formerr(shared_resolver):
    wire = header(0x2222, 0x0100, qd=2) + question("www.sec.lab.", "A") \
        + question("www.sec.lab.", "AAAA")
    reply = raw_udp(shared_resolver.addr, wire)
    assert reply is not None, "no reply to QDCOUNT=2"
    assert reply[:2] == b"\x22\x22"
    assert reply_rcode(reply) == "FORMERR"
    still_answers(shared_resolver.addr)


def test_unknown_opcode_is_notimp(shared_resolver):
    for opcode in (3, 15):                   # unassigned opcodes
        flags = (opcode << 11) | 0x0100
        reply = raw_udp(shared_resolver.addr, header(0x3300 + opcode, flags)
                        + question("www.sec.lab.", "A"))
        assert reply is not None, "no reply to opcode %d" % opcode
        # parsed by hand: dnspython refuses to build a message with opcode 3
        qid, flags = struct.unpack("!HH", reply[:4])
        assert qid == 0x3300 + opcode
        assert flags & 0x8000, "QR set"
        assert (flags >> 11) & 0xF == opcode, "opcode echoed"
        assert reply_rcode(reply) == "NOTIMP"
    still_answers(shared_resolver.addr)


def test_any_gets_small_answer(shared_resolver):
    # RFC 8482: no error, and a small reply: one RRset or a subset of the node
    # (www.sec.lab. has A, AAAA, TXT), a synthesised HINFO, or nothing.
    # Asked twice: from a cold cache and with the node's RRsets cached.
    addr = shared_resolver.addr
    node = {"www.sec.lab. A 192.0.2.1", "www.sec.lab. AAAA 2001:db8::1",
            'www.sec.lab. TXT "port53 lab" "second string"'}
    for attempt in ("cold", "warm"):
        r = udp(addr, make("www.sec.lab.", "ANY"))
        assert rcode_text(r) == "NOERROR", attempt
        assert not r.flags & dns.flags.TC, attempt
        assert len(r.to_wire()) <= 1232, attempt   # fits, RRSIGs included
        got = {rr for rr in answer_set(r) if " HINFO " not in rr}
        assert got <= node, attempt
        for qtype in ("A", "AAAA", "TXT"):
            udp(addr, make("www.sec.lab.", qtype))     # fill the cache for "warm"


def test_response_echoes_id_and_question(shared_resolver):
    q = make("www.sec.lab.", "AAAA")
    r = udp(shared_resolver.addr, q)
    assert r.id == q.id and r.question == q.question
    assert r.flags & dns.flags.QR and r.flags & dns.flags.RA and r.flags & dns.flags.RD
