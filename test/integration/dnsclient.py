"""Small DNS client helpers for the integration tests (dnspython underneath).
Every address passed in is an IP literal; nothing here resolves host names."""
import socket
import struct

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

TIMEOUT = 8.0   # a cold lookup through a dead or lame server may take a while


def make(qname, qtype, edns=True, payload=1232, do=False, ad=True):
    """A stub query: RD=1, and AD=1 so the resolver reports validation
    status in the AD bit without us asking for RRSIGs (RFC 6840 5.7)."""
    q = dns.message.make_query(qname, qtype, use_edns=0 if edns else False,
                               payload=payload, want_dnssec=do)
    if ad:
        q.flags |= dns.flags.AD
    return q


def udp(addr, q, timeout=TIMEOUT, source=None):
    return dns.query.udp(q, addr, timeout=timeout, ignore_trailing=True, source=source)


def tcp(addr, q, timeout=TIMEOUT, source=None):
    return dns.query.tcp(q, addr, timeout=timeout, source=source)


def ask(addr, qname, qtype, transport="udp", source=None, **kw):
    """Returns (first response, final response): over UDP a truncated answer
    is retried over TCP, as any stub resolver would. `source`: the client's own
    address (a 127.x literal), for tests of per-client policy."""
    q = make(qname, qtype, **kw)
    if transport == "tcp":
        r = tcp(addr, q, source=source)
        return r, r
    first = udp(addr, q, source=source)
    if first.flags & dns.flags.TC:
        return first, tcp(addr, q, source=source)
    return first, first


def answer_set(resp):
    """'owner TYPE rdata' strings of the answer section, RRSIGs left out,
    sorted; the same canonical form the lab writes into cases.json."""
    out = []
    for rrset in resp.answer:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            continue
        for rd in rrset:
            out.append("%s %s %s" % (rrset.name.to_text(),
                                     dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
    return sorted(out)


def rcode_text(resp):
    return dns.rcode.to_text(resp.rcode())


def raw_udp(addr, wire, timeout=1.5):
    """Sends raw bytes; returns the raw reply or None if none came."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(wire, (addr, 53))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None


def header(qid, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def question(qname, qtype):
    q = dns.message.make_query(qname, qtype, use_edns=False)
    return q.to_wire()[12:]       # the question section alone


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def tcp_pipeline(addr, queries, timeout=TIMEOUT):
    """Writes all queries on one TCP connection before reading anything, then
    reads one response per query.  Returns {id: response}."""
    with socket.create_connection((addr, 53), timeout=timeout) as s:
        s.sendall(b"".join(struct.pack("!H", len(w)) + w
                           for w in (q.to_wire() for q in queries)))
        got = {}
        for _ in queries:
            (length,) = struct.unpack("!H", recv_exact(s, 2))
            r = dns.message.from_wire(recv_exact(s, length))
            got[r.id] = r
        return got
