"""Discovery of Designated Resolvers (RFC 9462, issue 14): a client asking port 53 for
_dns.resolver.arpa. SVCB learns the DoT and DoH endpoints, checks the certificate as RFC 9462
§4.2 says and then resolves over them. kdig shows the records as an operator would see them."""
import base64
import os
import signal
import socket
import ssl
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rdtypes.svcbbase
import pytest

from conftest import OwnPort53d, port53d_only
from encrypted import curl, dot_query, make_name_pki, openssl, tls_section

pytestmark = port53d_only
ADDR = "127.53.0.53"
KIDS = "127.53.0.54"  # a view's own listener, whose clients get the view's DoH path
OTHER = "127.53.0.55"  # daemons of a single test, while the module's runs on ADDR
NAME = "dns.lab."
DDR = "_dns.resolver.arpa."
Key = dns.rdtypes.svcbbase.ParamKey
DOHPATH = 7  # RFC 9461 §5; dnspython 2.3 keeps it as a generic key


def make_ddr_pki(d):
    """A CA and a server certificate naming dns.lab. and the port-53 address (IP SAN), as a
    verifying DDR client wants (RFC 9462 §4.2)."""
    pki = make_name_pki(d, NAME.rstrip("."))
    with open(os.path.join(d, "ext-ip.cnf"), "w") as f:
        f.write("subjectAltName=DNS:%s,IP:%s,IP:%s\nextendedKeyUsage=serverAuth\n"
                % (NAME.rstrip("."), ADDR, KIDS))
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", "server-ip.pem", "-extfile", "ext-ip.cnf",
            cwd=d)
    return pki | {"server-ip": os.path.join(d, "server-ip.pem")}


def tls_config(addr, cert, key, ddr=""):
    return tls_section(cert, key, addr) + """[ddr]
{ddr}
[[view]]
name = "kids"
listeners = ["{kids}:53"]
doh_paths = ["/dns-query/kids"]
""".format(kids=KIDS, ddr=ddr)


def own_daemon(lab, tmp_path, cert, key, ddr="", name="ddr", addr=ADDR):
    d = OwnPort53d(lab, tmp_path, addr, extra=tls_config(addr, cert, key, ddr), name=name)
    if addr == ADDR:  # the view's listener too
        d.conf.write_text(d.conf.read_text().replace(
            'listen = ["%s:53"]' % ADDR, 'listen = ["%s:53", "%s:53"]' % (ADDR, KIDS)))
    else:
        d.conf.write_text(d.conf.read_text().replace('listeners = ["%s:53"]' % KIDS,
                                                     'listeners = ["%s:53"]' % addr))
    return d


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_ddr_pki(str(tmp_path_factory.mktemp("ddr-pki")))


@pytest.fixture(scope="module")
def own(lab, pki, tmp_path_factory):
    with own_daemon(lab, tmp_path_factory.mktemp("ddr"), pki["server-ip"], pki["key"]) as d:
        yield d


def svcb(server, qname=DDR, rcode=dns.rcode.NOERROR):
    r = dns.query.udp(dns.message.make_query(qname, "SVCB"), server, timeout=5)
    assert r.rcode() == rcode, r
    rrsets = [s for s in r.answer if s.rdtype == dns.rdatatype.SVCB]
    return r, sorted(rrsets[0], key=lambda rd: rd.priority) if rrsets else []


def test_ddr_names_the_dot_and_doh_endpoints(own):
    r, (dot, doh) = svcb(ADDR)
    assert r.flags & dns.flags.AA and not r.flags & dns.flags.AD  # ours, never signed
    assert (dot.priority, dot.target.to_text()) == (1, NAME)
    assert dot.params[Key.ALPN].ids == (b"dot",)
    assert dot.params[Key.PORT].port == 853
    assert [str(a) for a in dot.params[Key.IPV4HINT].addresses] == [ADDR]
    assert (doh.priority, doh.target.to_text()) == (2, NAME)
    assert doh.params[Key.ALPN].ids == (b"h2", b"http/1.1")
    assert doh.params[Key.PORT].port == 443
    assert doh.params[DOHPATH].value == b"/dns-query{?dns}"
    # The per-name form (RFC 9462 §5) says the same.
    _, by_name = svcb(ADDR, "_dns." + NAME)
    assert [rd.to_text() for rd in by_name] == [dot.to_text(), doh.to_text()]


def test_other_types_there_are_nodata_and_other_names_resolve(own):
    r = dns.query.udp(dns.message.make_query(DDR, "A"), ADDR, timeout=5)
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    r = dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=5)
    assert r.answer[0][0].address == "192.0.2.1"


def test_a_verifying_client_follows_the_records_to_dot_and_doh(own, pki):
    """RFC 9462 §4.2: the client connects to the target's hint and port, checks that the
    certificate is valid for the target name and holds the address it asked on port 53, then
    sends its queries there (over DoT, and over DoH at the dohpath template)."""
    _, (dot, doh) = svcb(ADDR)
    ctx = ssl.create_default_context(cafile=pki["ca"])
    ctx.set_alpn_protocols(["dot"])
    hint = str(dot.params[Key.IPV4HINT].addresses[0])
    raw = socket.create_connection((hint, dot.params[Key.PORT].port), timeout=5)
    with ctx.wrap_socket(raw, server_hostname=dot.target.to_text(omit_final_dot=True)) as s:
        sans = s.getpeercert()["subjectAltName"]
        assert ("IP Address", ADDR) in sans
        reply = dot_query(s, dns.message.make_query("www.sec.lab.", "A"))
        assert reply.answer[0][0].address == "192.0.2.1"
    q = dns.message.make_query("www.sec.lab.", "A")
    q.id = 0
    b64 = base64.urlsafe_b64encode(q.to_wire()).rstrip(b"=").decode()
    path = doh.params[DOHPATH].value.decode().replace("{?dns}", "?dns=" + b64)
    host = doh.target.to_text(omit_final_dot=True)
    port = doh.params[Key.PORT].port
    res = curl("--http2", "--cacert", pki["ca"], "--resolve",
               "%s:%d:%s" % (host, port, doh.params[Key.IPV4HINT].addresses[0]),
               "https://%s:%d%s" % (host, port, path))
    assert res.returncode == 0, res.stderr
    assert dns.message.from_wire(res.stdout).answer[0][0].address == "192.0.2.1"


def test_a_view_with_its_own_doh_path_advertises_it(own):
    _, (_, doh) = svcb(KIDS)
    assert doh.params[DOHPATH].value == b"/dns-query/kids{?dns}"


def test_kdig_shows_the_records(own):
    res = subprocess.run(["kdig", "@" + ADDR, DDR, "SVCB", "+short"], capture_output=True,
                         text=True, timeout=10)
    assert res.returncode == 0, res.stderr
    lines = sorted(res.stdout.split("\n"))[1:]
    assert lines[0].startswith("1 dns.lab. alpn=dot port=853 ipv4hint=%s" % ADDR), res.stdout
    assert lines[1].startswith("2 dns.lab. alpn=h2,http/1.1 port=443 ipv4hint=%s" % ADDR)
    # kdig 3.2 does not know the key's name yet (RFC 9461 §5: key 7)
    assert ('dohpath=/dns-query{?dns}' in lines[1] or 'key7="/dns-query{?dns}"' in lines[1]), \
        res.stdout


def test_ddr_off_and_a_certificate_without_the_address(lab, pki, tmp_path):
    """ddr.enabled = false: resolver.arpa. stays the special-use zone, answered here with
    NODATA (RFC 9462 §4: no designated resolvers; §6.4: never asked of anyone). A certificate
    without the port-53 address still gets records, and a warning that clients will not
    verify them; ddr.name overrides the certificate's name."""
    with own_daemon(lab, tmp_path, pki["server"], pki["key"], "enabled = false", "off", OTHER):
        r, records = svcb(OTHER)
        assert records == [] and r.authority[0].name.to_text() == "resolver.arpa.", r
        r, records = svcb(OTHER, "anything.else.resolver.arpa.")
        assert records == [] and r.authority, r
    with own_daemon(lab, tmp_path, pki["server"], pki["key"], 'name = "resolver.lab."',
                    "named", OTHER) as d:
        _, (dot, doh) = svcb(OTHER)
        assert dot.target.to_text() == "resolver.lab." == doh.target.to_text()
        assert "DDR: the certificate has no IP address %s" % OTHER in open(d.log).read()


def test_a_reload_advertises_the_new_name_at_once(lab, pki, tmp_path):
    """DDR answers are cached like any other: a reload that changes them forgets the old ones,
    at _dns.resolver.arpa. and at both _dns.<name>. (old and new)."""
    with own_daemon(lab, tmp_path, pki["server"], pki["key"], 'name = "a.lab."', "reload",
                    OTHER) as d:
        for qname in (DDR, "_dns.a.lab."):
            assert svcb(OTHER, qname)[1][0].target.to_text() == "a.lab."
        d.conf.write_text(d.conf.read_text().replace('name = "a.lab."', 'name = "b.lab."'))
        d.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            if svcb(OTHER)[1][0].target.to_text() == "b.lab.":
                break
            time.sleep(0.05)
        else:
            pytest.fail("the reload kept the old DDR answer:\n" + open(d.log).read()[-2000:])
        assert svcb(OTHER, "_dns.b.lab.")[1][0].target.to_text() == "b.lab."
        # The old name's records went with the old configuration (resolved as usual: the
        # lab's lab. zone says NXDOMAIN).
        svcb(OTHER, "_dns.a.lab.", rcode=dns.rcode.NXDOMAIN)
