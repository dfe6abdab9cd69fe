"""PROXY protocol v2 (issue 15, "the real client behind a proxy"): a load balancer on
PROXY_SRC leads each UDP datagram and each TCP, DoT and DoH connection (before TLS) with a
header naming the client it speaks for. port53d must then apply its access list and views
to that client and log it; drop headers from anyone else; drop or close what a proxy sends
without one; survive malformed ones. Headers are built here byte by byte (HAProxy's spec,
section 2.2); the clients they name (documentation prefixes) are never sent to: only the
bytes of the header carry them. Addresses: 127.53.0.100 to 127.53.0.109 only."""
import json
import signal
import socket
import ssl
import struct
import subprocess
import time

import http.client

import dns.message
import dns.rcode
import pytest

from conftest import OwnPort53d, port53d_only, wait_for
from encrypted import dot_recv, dot_send, make_pki

ADDR = "127.53.0.100"        # port53d; its UDP/TCP, DoT and DoH listeners expect headers
PLAIN = "127.53.0.108"       # a second listen address of it that expects none
PROXY_SRC = "127.53.0.101"   # the trusted proxy's source address
STRANGER = "127.53.0.102"    # a sender not in proxy_protocol.from
DNSDIST = "127.53.0.103"     # dnsdist (the one end-to-end test), also trusted
DNSDIST_CLIENT = "127.53.0.104"
DOT_PORT, DOH_PORT = 853, 443
SCRAPER = "127.53.0.109"     # fetches /metrics

ALLOWED = "192.0.2.10"       # real clients, named in headers only
REFUSED = "198.51.100.7"     # access_control refuses 198.51.100.0/24
INSIDE = "203.0.113.5"       # the "inside" view's network

NAME = "who.proxy.lab."      # 10.9.9.9 at the top level, 10.0.0.80 in the view "inside"
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_header(client, stream, command=0x1, tlvs=b""):
    """A PROXY v2 header (section 2.2): PROXY (or LOCAL) over IPv4, client port 4242."""
    block = socket.inet_aton(client) + socket.inet_aton(ADDR) + struct.pack(">HH", 4242, 53)
    fam = 0x11 if stream else 0x12  # AF_INET, STREAM or DGRAM
    return SIG + bytes([0x20 | command, fam]) + struct.pack(">H", len(block + tlvs)) + block + tlvs


def query(qid=None):
    q = dns.message.make_query(NAME, "A")
    if qid is not None:
        q.id = qid
    return q


def udp_raw(payload, source=PROXY_SRC, addr=ADDR, timeout=2.0):
    """Sends one datagram; the answer (a DNS message) or None if none came in `timeout`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(payload, (addr, 53))
        try:
            return dns.message.from_wire(s.recv(4096))
        except socket.timeout:
            return None


def connect(port, source=PROXY_SRC, prefix=b""):
    s = socket.create_connection((ADDR, port), timeout=5, source_address=(source, 0))
    if prefix:
        s.sendall(prefix)
    return s


def tcp_ask(prefix, source=PROXY_SRC, q=None):
    """A query over TCP after `prefix`; the answer, or None if the connection was closed."""
    q = q or query()
    with connect(53, source, prefix) as s:
        try:
            dot_send(s, q)
            return dns.message.from_wire(dot_recv(s))
        except (EOFError, ConnectionError):
            return None


def tls_wrap(raw, pki, alpn):
    ctx = ssl.create_default_context(cafile=pki["ca"])
    ctx.set_alpn_protocols([alpn])
    return ctx.wrap_socket(raw, server_hostname=ADDR)  # an IP literal, never looked up


def dot_ask(pki, prefix):
    with tls_wrap(connect(DOT_PORT, prefix=prefix), pki, "dot") as s:
        dot_send(s, query())
        return dns.message.from_wire(dot_recv(s))


def doh_ask(pki, prefix):
    """An HTTP/1.1 POST over TLS after the header; the DNS answer."""
    wire = query(0).to_wire()
    with tls_wrap(connect(DOH_PORT, prefix=prefix), pki, "http/1.1") as s:
        s.sendall(b"POST /dns-query HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                  b"Content-Type: application/dns-message\r\nContent-Length: %d\r\n\r\n"
                  % (ADDR.encode(), len(wire)) + wire)
        response = b""
        while chunk := s.recv(4096):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return dns.message.from_wire(body)


def proxy_drops():
    """port53_refused_total{reason="proxy"} from /metrics."""
    c = http.client.HTTPConnection(ADDR, 9153, timeout=5, source_address=(SCRAPER, 0))
    c.request("GET", "/metrics")
    for line in c.getresponse().read().decode().splitlines():
        if line.startswith('port53_refused_total{reason="proxy"} '):
            return float(line.split()[-1])
    raise AssertionError("no port53_refused_total{reason=\"proxy\"} on /metrics")


def addresses(response):
    return sorted(rd.address for rrset in response.answer for rd in rrset)


def logged_clients(path, transport, want):
    """The clients of the query log's lines for NAME over `transport`, once all of `want`
    are among them (the writer drains every 100 ms), or after 3 s."""
    found = set()
    for _ in range(60):
        lines = [json.loads(l) for l in open(path).read().splitlines() if NAME in l]
        found = {l["client"] for l in lines if l["transport"] == transport}
        if set(want) <= found:
            break
        time.sleep(0.05)
    return found


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proxy")
    pki = make_pki(str(tmp / "pki"), ip=ADDR)
    qlog = tmp / "queries.log"
    extra = """
[tls]
certificate = "{cert}"
private_key = "{key}"
dot_listen = ["{a}:{dot}"]
doh_listen = ["{a}:{doh}"]
[local]
data = ["{name} 300 IN A 10.9.9.9"]
[query_log]
file = "{qlog}"
[metrics]
listen = ["{a}:9153"]
[proxy_protocol]
from = ["{proxy}", "{dnsdist}/32"]
listeners = ["{a}:53", "{a}:{dot}", "{a}:{doh}"]
[[view]]
name = "inside"
clients = ["203.0.113.0/24"]
[view.local]
data = ["{name} 300 IN A 10.0.0.80"]
""".format(cert=pki["cert1"], key=pki["key1"], a=ADDR, dot=DOT_PORT, doh=DOH_PORT, name=NAME,
           qlog=qlog, proxy=PROXY_SRC, dnsdist=DNSDIST)
    rules = ('access_control = ["127.0.0.0/8 allow", "192.0.2.0/24 allow", '
             '"203.0.113.0/24 allow", "198.51.100.0/24 refuse"]\n')
    daemon = OwnPort53d(lab, tmp, ADDR, server=rules, extra=extra)
    text = daemon.conf.read_text()
    daemon.conf.write_text(text.replace('listen = ["%s:53"]' % ADDR,
                                        'listen = ["%s:53", "%s:53"]' % (ADDR, PLAIN)))
    with daemon as p:
        p.qlog, p.pki = qlog, pki
        yield p
    assert daemon.proc.returncode in (0, -15), daemon.log_text()[-2000:]


@port53d_only
def test_udp_the_real_client_meets_the_acl_and_the_view_and_the_log(own):
    refused = udp_raw(proxy_header(REFUSED, False) + query().to_wire())
    assert refused is not None and refused.rcode() == dns.rcode.REFUSED
    inside = udp_raw(proxy_header(INSIDE, False) + query().to_wire())
    assert addresses(inside) == ["10.0.0.80"]
    outside = udp_raw(proxy_header(ALLOWED, False) + query().to_wire())
    assert addresses(outside) == ["10.9.9.9"]
    clients = logged_clients(own.qlog, "udp", {REFUSED, INSIDE, ALLOWED})
    assert {REFUSED, INSIDE, ALLOWED} <= clients and PROXY_SRC not in clients


@port53d_only
@pytest.mark.parametrize("transport", ["tcp", "dot", "doh"])
def test_streams_carry_the_header_before_dns_and_before_tls(own, transport):
    def ask(client):
        prefix = proxy_header(client, True)
        if transport == "tcp":
            return tcp_ask(prefix)
        return (dot_ask if transport == "dot" else doh_ask)(own.pki, prefix)
    assert ask(REFUSED).rcode() == dns.rcode.REFUSED
    assert addresses(ask(INSIDE)) == ["10.0.0.80"]
    assert addresses(ask(ALLOWED)) == ["10.9.9.9"]
    clients = logged_clients(own.qlog, transport, {REFUSED, INSIDE, ALLOWED})
    assert {REFUSED, INSIDE, ALLOWED} <= clients and PROXY_SRC not in clients


@port53d_only
def test_a_header_from_a_sender_not_trusted_is_dropped(own):
    assert udp_raw(proxy_header(INSIDE, False) + query().to_wire(), source=STRANGER) is None
    assert tcp_ask(proxy_header(INSIDE, True), source=STRANGER) is None
    # The same sender without a header is an ordinary client, served as itself.
    assert addresses(udp_raw(query().to_wire(), source=STRANGER)) == ["10.9.9.9"]
    assert addresses(tcp_ask(b"", source=STRANGER)) == ["10.9.9.9"]
    wait_for(lambda: "security: proxy client=%s udp dropped: PROXY header from a sender not "
             "in proxy_protocol.from" % STRANGER in own.log_text(), "the untrusted header's line")


@port53d_only
def test_a_proxy_without_a_header_is_dropped_or_closed(own):
    assert udp_raw(query().to_wire()) is None
    assert tcp_ask(b"") is None
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        dot_ask(own.pki, b"")  # the ClientHello is not a header: closed before TLS
    # A listener that expects no header serves the proxy's own queries as usual.
    assert addresses(udp_raw(query().to_wire(), addr=PLAIN)) == ["10.9.9.9"]
    wait_for(lambda: "security: proxy client=%s tcp dropped: no PROXY header" % PROXY_SRC
             in own.log_text(), "the missing header's line")


@port53d_only
def test_local_command_is_the_proxy_itself(own):
    """dnsdist's health checks send LOCAL: the proxy's own address is the client."""
    local = proxy_header(ALLOWED, False, command=0x0)
    assert addresses(udp_raw(local + query().to_wire())) == ["10.9.9.9"]
    assert addresses(tcp_ask(proxy_header(ALLOWED, True, command=0x0))) == ["10.9.9.9"]
    assert PROXY_SRC in logged_clients(own.qlog, "udp", {PROXY_SRC})
    assert PROXY_SRC in logged_clients(own.qlog, "tcp", {PROXY_SRC})


@port53d_only
def test_malformed_headers_are_dropped_and_serving_goes_on(own):
    good = proxy_header(ALLOWED, False)
    wire = query(0x7777).to_wire()  # its first byte, read as a family after the cut one: none
    before = proxy_drops()
    bad = [
        good[:12] + b"\x10" + good[13:],                  # version 1
        good[:12] + b"\x2f" + good[13:],                  # command 15
        good[:13] + b"\x71" + good[14:],                  # family 7
        good[:14] + b"\xff\xff" + good[16:],              # longer than port53 accepts
        good[:14] + b"\x00\x04" + good[16:20],            # address block too short
        good[:14] + struct.pack(">H", 15) + good[16:] + b"\x01\x00\x09",  # TLV past the end
        SIG + b"\x21",                                     # cut inside the fixed part
    ]
    for b in bad:
        assert udp_raw(b + wire, timeout=0.3) is None
    for b in bad[:4]:
        assert tcp_ask(b) is None
    with connect(53) as s:  # a proxy that sends half a header and stops
        s.sendall(good[:10])
    assert addresses(udp_raw(good + wire)) == ["10.9.9.9"]
    assert addresses(tcp_ask(proxy_header(ALLOWED, True))) == ["10.9.9.9"]
    wait_for(lambda: "udp dropped: PROXY header version is not 2" in own.log_text(),
             "the malformed header's line")
    assert own.proc.poll() is None
    assert proxy_drops() - before == len(bad) + 4  # the half header closed unlogged


DNSDIST_CONF = """setSecurityPollSuffix('')
setLocal('{front}:53')
setACL({{'127.0.0.0/8'}})
newServer({{address='{backend}:53', source='{src}', useProxyProtocol=true,
            checkName='{name}', checkInterval=1}})
"""


@port53d_only
def test_through_dnsdist_the_client_behind_it_is_logged(own, tmp_path):
    """dnsdist (Debian's) with useProxyProtocol: port53d logs dnsdist's client, not dnsdist."""
    conf = tmp_path / "dnsdist.conf"
    conf.write_text(DNSDIST_CONF.format(front=DNSDIST, backend=ADDR, src=DNSDIST, name=NAME))
    with open(tmp_path / "dnsdist.log", "w") as log:
        proc = subprocess.Popen(["dnsdist", "--supervised", "--disable-syslog", "-C", str(conf)],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        def answered():
            r = udp_raw(query().to_wire(), source=DNSDIST_CLIENT, addr=DNSDIST, timeout=0.5)
            return r is not None and addresses(r) == ["10.9.9.9"]
        wait_for(answered, "an answer through dnsdist", timeout=20)
        clients = logged_clients(own.qlog, "udp", {DNSDIST_CLIENT})
        assert DNSDIST_CLIENT in clients
        # Its health checks (up before it forwards anything) are LOCAL: dnsdist itself.
        assert DNSDIST in clients
    finally:
        proc.terminate()
        proc.wait(5)


RELOADED = "127.53.0.107"    # a port53d of its own that starts without [proxy_protocol]


@port53d_only
def test_a_reload_turns_headers_on_for_the_listeners_it_names(lab, tmp_path):
    extra = '[local]\ndata = ["%s 300 IN A 10.9.9.9"]\n' % NAME
    rules = 'access_control = ["127.0.0.0/8 allow", "198.51.100.0/24 refuse"]\n'
    with OwnPort53d(lab, tmp_path, RELOADED, server=rules, extra=extra, name="reload") as p:
        framed = proxy_header(REFUSED, False) + query().to_wire()
        # Off: the proxy's own query is served as any client's.
        plain = udp_raw(query().to_wire(), addr=RELOADED)
        assert addresses(plain) == ["10.9.9.9"]
        base = p.conf.read_text()
        p.conf.write_text(base + '[proxy_protocol]\nfrom = ["%s"]\n' % PROXY_SRC)
        p.proc.send_signal(signal.SIGHUP)

        def refused_through_proxy():
            r = udp_raw(framed, addr=RELOADED, timeout=0.3)
            return r is not None and r.rcode() == dns.rcode.REFUSED
        wait_for(refused_through_proxy, "the reload to open the listener with headers on")
        assert udp_raw(query().to_wire(), addr=RELOADED, timeout=0.3) is None  # now required
        p.conf.write_text(base)
        p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: udp_raw(query().to_wire(), addr=RELOADED, timeout=0.3) is not None,
                 "the reload to turn headers off again")
