"""Split horizon (issue 11, views): clients chosen by source address, by the listener they
ask and by the DoH path they use each get their view's local data, blocklists and stub
zones; the same name answers differently inside and outside, asked in both orders so an
answer cached for one view and handed to the other would show."""
import http.client
import subprocess
import time

import dns.edns
import dns.message
import dns.query
import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import answer_set, ask, make, rcode_text

ADDR = "127.53.0.41"          # port53d: the default view (and inside/outside by source)
KIDS_LISTENER = "127.53.0.42"  # a second listen address of the same port53d: view "kids"
HTTP_PORT = 8053               # plain-HTTP DoH on ADDR; /dns-query/kids is view "kids"
INSIDE = "127.53.0.45"         # client source address of view "inside"
OUTSIDE = "127.53.0.46"        # a client no view names: the top-level configuration
CORP_NS = "127.53.0.47"        # NSD serving corp.lab., which the public lab does not have
GUEST = "127.53.0.48"          # client source address of view "guest" (inherit = false)

CORP_ZONE = """$ORIGIN corp.lab.
$TTL 300
@ SOA ns.corp.lab. admin.corp.lab. 1 3600 600 86400 300
@ NS ns.corp.lab.
ns A 127.53.0.47
www A 192.0.2.201
host2 A 192.0.2.202
"""

NSD_CONF = """server:
  ip-address: {addr}
  port: 53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  database: ""
  zonesdir: "{d}"
  zonelistfile: "{d}/zone.list"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  pidfile: "{d}/nsd.pid"
  logfile: "{d}/nsd.log"
  verbosity: 1
  reuseport: no
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "corp.lab."
  zonefile: "{d}/corp.lab.zone"
"""

VIEWS = """
[tls]
doh_http_listen = ["{addr}:{http}"]

[blocklist]
block = ["halflame.lab"]

[[view]]
name = "inside"
clients = ["{inside}/32"]
[view.local]
data = ["www.sec.lab. 300 IN A 10.0.0.80", "mail.sec.lab. 300 IN A 10.0.0.25"]
[[view.stub]]
zone = "corp.lab."
servers = ["{corp}"]
insecure = true

[[view]]
name = "kids"
listeners = ["{kids}:53"]
doh_paths = ["/dns-query/kids"]
[view.blocklist]
block = ["provider.example"]

[[view]]
name = "guest"
inherit = false
clients = ["{guest}/32"]
"""


@pytest.fixture(scope="module")
def corp_ns(tmp_path_factory):
    """A real NSD with the internal zone, on its own loopback address."""
    d = tmp_path_factory.mktemp("corp-nsd")
    (d / "corp.lab.zone").write_text(CORP_ZONE)
    (d / "nsd.conf").write_text(NSD_CONF.format(addr=CORP_NS, d=d))
    subprocess.run(["nsd", "-c", str(d / "nsd.conf")], check=True, capture_output=True)
    for _ in range(100):
        try:
            dns.query.udp(dns.message.make_query("corp.lab.", "SOA"), CORP_NS, timeout=0.2)
            break
        except Exception:  # not up yet
            time.sleep(0.05)
    yield d
    pid = int((d / "nsd.pid").read_text().strip())
    subprocess.run(["kill", str(pid)], check=False)


@pytest.fixture(scope="module")
def own(lab, corp_ns, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("views")
    extra = VIEWS.format(addr=ADDR, http=HTTP_PORT, inside=INSIDE, corp=CORP_NS,
                         kids=KIDS_LISTENER, guest=GUEST)
    p = OwnPort53d(lab, tmp, ADDR, extra=extra, log_level="debug", name="views")
    text = p.conf.read_text()
    listen = 'listen = ["%s:53"]' % ADDR
    assert listen in text, "lab config changed shape: cannot add the second listener"
    p.conf.write_text(text.replace(listen, 'listen = ["%s:53", "%s:53"]' % (ADDR, KIDS_LISTENER)))
    with p:
        yield p


def a_from(source, name, server=ADDR):
    _, r = ask(server, name, "A", source=source)
    return rcode_text(r), answer_set(r)


def ede_codes(resp):
    return [o.code for o in resp.options if isinstance(o, dns.edns.EDEOption)]


@port53d_only
def test_local_data_by_source_address_in_both_orders(own):
    inside = ("NOERROR", ["www.sec.lab. A 10.0.0.80"])
    outside = ("NOERROR", ["www.sec.lab. A 192.0.2.1"])
    # Inside first: its answer is cached (for its view); the outside client still gets
    # the public one, and each again (now from the answer cache) its own.
    for _ in range(2):
        assert a_from(INSIDE, "www.sec.lab.") == inside
        assert a_from(OUTSIDE, "www.sec.lab.") == outside
    # Outside first, another name.
    for _ in range(2):
        assert a_from(OUTSIDE, "mail.sec.lab.") == ("NOERROR", ["mail.sec.lab. A 192.0.2.25"])
        assert a_from(INSIDE, "mail.sec.lab.") == ("NOERROR", ["mail.sec.lab. A 10.0.0.25"])


@port53d_only
def test_internal_stub_zone_only_inside_in_both_orders(own):
    # The public lab has no corp.lab.: NXDOMAIN outside, before and after the inside
    # view has learnt (and cached) the internal zone.
    for _ in range(2):
        assert a_from(OUTSIDE, "www.corp.lab.")[0] == "NXDOMAIN"
        assert a_from(INSIDE, "www.corp.lab.") == ("NOERROR", ["www.corp.lab. A 192.0.2.201"])
    for _ in range(2):
        assert a_from(INSIDE, "host2.corp.lab.") == (
            "NOERROR", ["host2.corp.lab. A 192.0.2.202"])
        assert a_from(OUTSIDE, "host2.corp.lab.")[0] == "NXDOMAIN"
    # Public names resolve as usual inside (through the inside view's own RRset cache).
    assert a_from(INSIDE, "www.provider.example.") == (
        "NOERROR", ["www.provider.example. A 198.51.100.10"])


@port53d_only
def test_blocklist_of_the_listener_view_only(own):
    for _ in range(2):
        _, r = ask(KIDS_LISTENER, "www.provider.example.", "A", source=OUTSIDE)
        assert rcode_text(r) == "NXDOMAIN"
        assert 15 in ede_codes(r)
        assert a_from(OUTSIDE, "www.provider.example.") == (
            "NOERROR", ["www.provider.example. A 198.51.100.10"])
    # The kids view inherits the top level: public names and special-use names as usual.
    assert a_from(OUTSIDE, "www.sec.lab.", KIDS_LISTENER) == (
        "NOERROR", ["www.sec.lab. A 192.0.2.1"])
    # The listener decides before the source address: an inside client there is a kid.
    assert a_from(INSIDE, "www.sec.lab.", KIDS_LISTENER) == (
        "NOERROR", ["www.sec.lab. A 192.0.2.1"])


@port53d_only
def test_top_level_blocklist_inherited_unless_a_view_says_not(own):
    """inside adds no lists (it asks the top level's), kids adds its own (one set of lists
    with the top level's), guest inherits nothing."""
    for server, source in ((ADDR, OUTSIDE), (ADDR, INSIDE), (KIDS_LISTENER, OUTSIDE)):
        _, r = ask(server, "www.halflame.lab.", "A", source=source)
        assert rcode_text(r) == "NXDOMAIN" and 15 in ede_codes(r), (server, source)
    assert a_from(GUEST, "www.halflame.lab.") == ("NOERROR", ["www.halflame.lab. A 192.0.2.60"])
    assert a_from(GUEST, "www.sec.lab.") == ("NOERROR", ["www.sec.lab. A 192.0.2.1"])
    assert a_from(GUEST, "www.corp.lab.")[0] == "NXDOMAIN"


def doh_post(path, qname, source):
    """A DoH POST over plain HTTP from `source` (IP literals only: nothing is looked up)."""
    wire = make(qname, "A").to_wire()
    conn = http.client.HTTPConnection(ADDR, HTTP_PORT, timeout=8, source_address=(source, 0))
    conn.request("POST", path, body=wire, headers={"Content-Type": "application/dns-message",
                                                   "Accept": "application/dns-message"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 200, (resp.status, body)
    return dns.message.from_wire(body)


@port53d_only
def test_doh_path_view(own):
    for _ in range(2):
        r = doh_post("/dns-query/kids", "www.provider.example.", OUTSIDE)
        assert rcode_text(r) == "NXDOMAIN" and 15 in ede_codes(r)
        r = doh_post("/dns-query", "www.provider.example.", OUTSIDE)
        assert answer_set(r) == ["www.provider.example. A 198.51.100.10"]
    # The path decides before the source address; the usual path keeps the source's view.
    r = doh_post("/dns-query/kids", "www.sec.lab.", INSIDE)
    assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"]
    r = doh_post("/dns-query", "www.sec.lab.", INSIDE)
    assert answer_set(r) == ["www.sec.lab. A 10.0.0.80"]
    assert "view kids" in own.log_text()
