"""DNS cookies at the front door (RFC 7873, server cookies as RFC 9018 makes them): a
client that sends a COOKIE gets its client cookie back with a fresh 16-byte server cookie,
a malformed COOKIE is FORMERR, and `answer_cookies = false` turns the answer off."""
import os
import re
import subprocess

import dns.edns
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import TIMEOUT, answer_set, make, raw_udp, rcode_text, tcp, udp

ADDR = "127.53.0.14"           # a port53d of this module's own (answer_cookies = false)
COOKIE = 10                    # EDNS option code (RFC 7873 §4)
NAME, WANT = "www.sec.lab.", ["www.sec.lab. A 192.0.2.1"]


def cookie_query(data, qname=NAME):
    q = make(qname, "A")
    q.use_edns(0, payload=1232, options=[dns.edns.GenericOption(COOKIE, data)])
    return q


def reply_cookie(r):
    """The data of the reply's COOKIE option, or None."""
    for o in r.options:
        if o.otype == COOKIE:
            return o.data
    return None


def check_server_cookie(client, got):
    """RFC 9018 §4: client cookie echoed, then version 1, three reserved zero bytes,
    a 32-bit time and an 8-byte hash."""
    assert got is not None, "no COOKIE in the reply"
    assert len(got) == 8 + 16, got.hex()
    assert got[:8] == client, "client cookie not echoed: %s" % got.hex()
    server = got[8:]
    assert server[0] == 1 and server[1:4] == b"\0\0\0", server.hex()
    return server


@port53d_only
def test_dig_cookie_gets_client_cookie_and_server_cookie(shared_resolver):
    client = "0123456789abcdef"
    out = subprocess.run(["dig", "@" + shared_resolver.addr, "+cookie=" + client, "+tries=1",
                          "+time=%d" % TIMEOUT, NAME, "A"],
                         capture_output=True, text=True, timeout=30).stdout
    assert "status: NOERROR" in out, out
    m = re.search(r"; COOKIE: ([0-9a-f]+)", out)
    assert m, "dig saw no COOKIE:\n" + out
    got = bytes.fromhex(m.group(1))
    check_server_cookie(bytes.fromhex(client), got)
    assert "(good)" in out.split("; COOKIE:")[1].splitlines()[0], out


@port53d_only
def test_server_cookie_follows_client_cookie_and_address(shared_resolver):
    addr = shared_resolver.addr
    a, b = os.urandom(8), os.urandom(8)
    first = udp(addr, cookie_query(a))                  # resolved (or from the cache)
    assert answer_set(first) == WANT
    sa = check_server_cookie(a, reply_cookie(first))
    cached = udp(addr, cookie_query(a))                 # the cache-hit path answers too
    assert answer_set(cached) == WANT
    check_server_cookie(a, reply_cookie(cached))
    sb = check_server_cookie(b, reply_cookie(udp(addr, cookie_query(b))))
    assert sb[8:] != sa[8:], "the same server cookie for another client cookie"
    # Bound to the client's address too (RFC 9018 §4.3).
    other = dns.query.udp(cookie_query(a), addr, timeout=TIMEOUT, source="127.0.0.2")
    assert check_server_cookie(a, reply_cookie(other))[8:] != sa[8:]
    # Sending our server cookie back is accepted and answered, over UDP and TCP.
    for send in (udp, tcp):
        again = send(addr, cookie_query(a + sa))
        assert rcode_text(again) == "NOERROR" and answer_set(again) == WANT
        check_server_cookie(a, reply_cookie(again))


@port53d_only
@pytest.mark.parametrize("length", [5, 12, 41], ids=["short", "between", "long"])
def test_malformed_cookie_is_formerr_and_daemon_keeps_serving(shared_resolver, length):
    # RFC 7873 §5.2.2: a COOKIE of 8 or 16 to 40 bytes only; anything else is FORMERR.
    addr = shared_resolver.addr
    q = cookie_query(os.urandom(length))
    wire = raw_udp(addr, q.to_wire(), timeout=3)
    assert wire is not None, "no reply to a %d-byte COOKIE" % length
    r = dns.message.from_wire(wire)
    assert r.id == q.id
    assert rcode_text(r) == "FORMERR"
    assert not r.answer
    # still serving, with cookies
    client = os.urandom(8)
    ok = udp(addr, cookie_query(client))
    assert answer_set(ok) == WANT
    check_server_cookie(client, reply_cookie(ok))


@port53d_only
def test_answer_cookies_off_sends_no_cookie(lab, tmp_path):
    with OwnPort53d(lab, tmp_path, ADDR, server="answer_cookies = false\n"):
        for send in (udp, tcp):
            r = send(ADDR, cookie_query(os.urandom(8)))
            assert rcode_text(r) == "NOERROR" and answer_set(r) == WANT
            assert reply_cookie(r) is None, "COOKIE in the reply with answer_cookies = false"
        out = subprocess.run(["dig", "@" + ADDR, "+cookie", "+tries=1", "+time=5", NAME, "A"],
                             capture_output=True, text=True, timeout=30).stdout
        assert "status: NOERROR" in out and "; COOKIE:" not in out, out
