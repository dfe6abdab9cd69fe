"""The web console (issue 14): HTTPS on its own address, a login with an scrypt password
hash, a session cookie that scripts cannot read, a CSRF token on every change, a limit on
failed logins, and the JSON API the page uses (overview, cache lookup and flush, client
profiles). Clients: Python's http.client over TLS with the test CA."""
import http.client
import json
import os
import plistlib
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from encrypted import make_name_pki, openssl, tls_section

pytestmark = port53d_only
ADDR = "127.53.0.56"
PORT = 8443
PASSWORD = "correct horse battery"
NAME = "console.lab"


def make_console_pki(d, addr=ADDR):
    """A CA and a certificate for NAME and `addr` (the console is reached by address)."""
    pki = make_name_pki(d, NAME)
    with open(os.path.join(d, "ext-ip.cnf"), "w") as f:
        f.write("subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\n" % (NAME, addr))
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", "server-ip.pem", "-extfile", "ext-ip.cnf",
            cwd=d)
    return pki | {"server-ip": os.path.join(d, "server-ip.pem")}


def password_hash(password):
    res = subprocess.run([PORT53D, "--hash-password"], input=password + "\n",
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_console_pki(str(tmp_path_factory.mktemp("console-pki")))


def console_config(pki, addr, state_file, list_file):
    return tls_section(pki["server-ip"], pki["key"], addr) + """[console]
listen = "{a}:{port}"
access_control = ["127.0.0.1/32 allow", "127.0.0.9/32 allow"]
password_hash = "{hash}"
login_attempts = 3
state_file = "{state}"
[blocklist]
files = ["{lst}"]
[[view]]
name = "kids"
clients = ["127.0.0.8/32"]
[view.blocklist]
block = ["games.example"]
""".format(a=addr, port=PORT, hash=password_hash(PASSWORD), state=state_file, lst=list_file)


@pytest.fixture(scope="module")
def console(lab, pki, tmp_path_factory):
    d = tmp_path_factory.mktemp("console")
    (d / "list.txt").write_text("listed.wild.sec.lab\n")
    # Queries from 127.0.0.7 are dropped by the access list: the console counts it refused.
    deny = 'listen_access_control = ["%s:53 = 127.0.0.7/32 deny, 127.0.0.0/8 allow"]\n' % ADDR
    with OwnPort53d(lab, d, ADDR, server=deny, extra=console_config(
            pki, ADDR, d / "state.toml", d / "list.txt"), name="console") as own:
        own.state = d / "state.toml"
        own.list = str(d / "list.txt")
        yield own


class Browser:
    """What a browser keeps for one origin: the cookie and the CSRF token."""

    def __init__(self, pki, source="127.0.0.1", addr=ADDR):
        self.ctx = ssl.create_default_context(cafile=pki["ca"])
        self.addr = addr
        self.source = source
        self.cookie = None
        self.csrf = None

    def request(self, method, path, fields=None, csrf=True):
        conn = http.client.HTTPSConnection(self.addr, PORT, context=self.ctx, timeout=10,
                                           source_address=(self.source, 0))
        headers = {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        body = None
        if fields is not None:
            body = "&".join("%s=%s" % (k, urllib.parse.quote(v, safe=""))
                            for k, v in fields.items())
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # The certificate names ADDR as an IP SAN: http.client checks the host it connects to.
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        data = res.read()
        conn.close()
        return res, data

    def login(self, password=PASSWORD):
        res, data = self.request("POST", "/api/login", {"password": password})
        if res.status == 200:
            self.cookie = res.getheader("Set-Cookie").split(";")[0]
            self.csrf = json.loads(data)["csrf"]
        return res, data


def test_the_page_is_served_with_strict_headers(console, pki):
    res, body = Browser(pki).request("GET", "/")
    assert res.status == 200 and b'<script src="/app.js"' in body
    assert res.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "default-src 'self'" in res.getheader("Content-Security-Policy")
    assert res.getheader("X-Frame-Options") == "DENY"
    assert res.getheader("Cache-Control") == "no-store"
    res, body = Browser(pki).request("GET", "/app.js")
    assert res.status == 200 and b"X-CSRF-Token" in body
    assert Browser(pki).request("GET", "/nothing")[0].status == 404


def test_the_api_wants_a_login(console, pki):
    b = Browser(pki)
    for path in ("/api/overview", "/api/session", "/api/profiles", "/api/lookup?name=x."):
        assert b.request("GET", path)[0].status == 401, path
    b.cookie = "p53_console=" + "0" * 64  # a made-up session
    assert b.request("GET", "/api/overview")[0].status == 401


def test_login_sets_a_cookie_scripts_cannot_read_and_the_overview_counts(console, pki):
    b = Browser(pki)
    res, _ = b.login()
    assert res.status == 200
    flags = [f.strip() for f in res.getheader("Set-Cookie").split(";")]
    assert {"Secure", "HttpOnly", "SameSite=Strict", "Path=/"} <= set(flags), flags
    assert len(b.csrf) == 64 and b.cookie.startswith("p53_console=")

    def queries():
        res, data = b.request("GET", "/api/overview")
        assert res.status == 200, data
        return sum(s["value"] for s in json.loads(data)["port53_queries_total"])

    before = queries()
    for _ in range(5):
        dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=5)
    assert queries() >= before + 5
    res, data = b.request("GET", "/api/session")
    assert json.loads(data)["csrf"] == b.csrf  # a reloaded page finds its token again


def test_changes_need_the_csrf_token(console, pki):
    b = Browser(pki)
    b.login()
    dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=5)
    res, data = b.request("GET", "/api/lookup?name=www.sec.lab.")
    assert res.status == 200 and b"www.sec.lab." in data, data
    res, data = b.request("POST", "/api/flush", {"name": "www.sec.lab."}, csrf=False)
    assert res.status == 403, data
    b2 = Browser(pki)
    b2.login()
    b.csrf, wrong = b2.csrf, b.csrf  # another session's token is no good either
    assert b.request("POST", "/api/flush", {"name": "www.sec.lab."})[0].status == 403
    b.csrf = wrong
    res, data = b.request("POST", "/api/flush", {"name": "www.sec.lab."})
    assert res.status == 200 and b"cache entries forgotten" in data, data
    # Only a domain name reaches the command line: a newline in it is part of the label, so
    # "flush-all" after it is no second command and the rest of the cache stays.
    dns.query.udp(dns.message.make_query("kept.wild.sec.lab.", "A"), ADDR, timeout=5)
    res, data = b.request("POST", "/api/flush", {"name": "bad\nflush-all"})
    assert res.status == 200 and data == b"0 cache entries forgotten\n", data
    res, data = b.request("GET", "/api/lookup?name=kept.wild.sec.lab.")
    assert b"192.0.2.80" in data, data
    assert b.request("POST", "/api/flush", {"name": "a..b"})[0].status == 400


def test_failed_logins_are_limited_per_address(console, pki):
    b = Browser(pki, source="127.0.0.9")
    for _ in range(3):
        assert b.login("wrong password")[0].status == 401
    res, _ = b.login()  # even the right password waits now
    assert res.status == 429 and int(res.getheader("Retry-After")) > 0
    assert Browser(pki).login()[0].status == 200  # other addresses are not held up
    assert "console: failed login from 127.0.0.9" in open(console.log).read()


def test_logout_ends_the_session(console, pki):
    b = Browser(pki)
    b.login()
    res, _ = b.request("POST", "/api/logout", {})
    assert res.status == 200 and "Max-Age=0" in res.getheader("Set-Cookie")
    assert b.request("GET", "/api/overview")[0].status == 401


def test_client_profiles_from_the_running_configuration(console, pki):
    b = Browser(pki)
    b.login()
    res, data = b.request("GET", "/api/profiles")
    p = json.loads(data)
    assert p["doh_url"] == "https://%s/dns-query" % NAME
    assert p["android_private_dns"] == NAME == p["dot_host"]
    assert p["chromium_policy"] == {"DnsOverHttpsMode": "secure",
                                    "DnsOverHttpsTemplates": p["doh_url"]}
    assert p["firefox"]["about_config"]["network.trr.mode"] == 3
    res, data = b.request("GET", "/api/profiles/apple.mobileconfig")
    assert res.getheader("Content-Type") == "application/x-apple-aspen-config"
    plist = plistlib.loads(data)
    dns_settings = plist["PayloadContent"][0]["DNSSettings"]
    assert dns_settings == {"DNSProtocol": "HTTPS", "ServerURL": p["doh_url"],
                            "ServerAddresses": [ADDR]}
    res, data = b.request("GET", "/api/profiles/apple.mobileconfig?protocol=tls")
    again = plistlib.loads(data)
    assert again["PayloadContent"][0]["DNSSettings"]["ServerName"] == NAME
    assert again["PayloadUUID"] != plist["PayloadUUID"]
    # The same profile twice has the same UUIDs: a device replaces it.
    assert plistlib.loads(b.request("GET", "/api/profiles/apple.mobileconfig")[1]) == plist


def test_clients_outside_the_access_list_are_disconnected(console, pki):
    raw = socket.create_connection((ADDR, PORT), timeout=5, source_address=("127.0.0.3", 0))
    ctx = ssl.create_default_context(cafile=pki["ca"])
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        with ctx.wrap_socket(raw, server_hostname=ADDR) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            if not s.recv(100):
                raise ConnectionError("closed")


def test_hash_password_refuses_a_short_one():
    res = subprocess.run([PORT53D, "--hash-password"], input="short\n", capture_output=True,
                         text=True, timeout=10)
    assert res.returncode == 1 and "at least 8 characters" in res.stderr
    h = password_hash("long enough")
    assert h.startswith("$scrypt$ln=15,r=8,p=1$") and h != password_hash("long enough")


OTHER = "127.53.0.58"  # a console of a single test, restarted


def a_of(name, server=ADDR):
    r = dns.query.udp(dns.message.make_query(name, "A", use_edns=0), server, timeout=5)
    ede = [o.code for o in r.options if o.otype == 15]
    return dns.rcode.to_text(r.rcode()), [rr.to_text() for s in r.answer for rr in s], ede


def test_block_allow_and_unlist_apply_at_once(console, pki):
    b = Browser(pki)
    b.login()
    name = "blockme.wild.sec.lab."
    assert a_of(name)[:2] == ("NOERROR", ["192.0.2.80"])  # cached now
    res, data = b.request("POST", "/api/block", {"name": name}, csrf=False)
    assert res.status == 403
    res, data = b.request("POST", "/api/block", {"name": name})
    assert res.status == 200 and json.loads(data) == {"changed": True}, data
    assert a_of(name) == ("NXDOMAIN", [], [15])  # RFC 8914 Blocked, the cached answer gone
    assert name in console.state.read_text()
    changes = json.loads(b.request("GET", "/api/changes")[1])
    assert changes["block"] == [name] and changes["allow"] == []
    res, data = b.request("POST", "/api/block", {"name": name})
    assert json.loads(data) == {"changed": False}
    b.request("POST", "/api/allow", {"name": name})
    assert a_of(name)[:2] == ("NOERROR", ["192.0.2.80"])
    assert json.loads(b.request("GET", "/api/changes")[1])["allow"] == [name]
    b.request("POST", "/api/unlist", {"name": name})
    changes = json.loads(b.request("GET", "/api/changes")[1])
    assert changes["block"] == [] == changes["allow"]


def test_local_records_and_lists_on_and_off(console, pki):
    b = Browser(pki)
    b.login()
    record = "nas.home.arpa. 3600 IN A 192.168.1.10"
    assert a_of("nas.home.arpa.")[0] == "NXDOMAIN"
    assert b.request("POST", "/api/local", {"record": record})[0].status == 200
    assert a_of("nas.home.arpa.")[:2] == ("NOERROR", ["192.168.1.10"])
    assert json.loads(b.request("GET", "/api/changes")[1])["local_data"] == [record]
    for bad in ("nas.home.arpa. 3600 IN A not-an-address", record + "\nevil. A 192.0.2.9", ""):
        res, data = b.request("POST", "/api/local", {"record": bad})
        assert res.status == 400, (bad, data)
    b.request("POST", "/api/local/remove", {"record": record})
    assert a_of("nas.home.arpa.")[0] == "NXDOMAIN"
    # The configured list: on (blocked), off (resolves), on again.
    assert a_of("listed.wild.sec.lab.")[2] == [15]
    changes = json.loads(b.request("GET", "/api/changes")[1])
    assert changes["lists_on"] == [console.list] and changes["lists_off"] == []
    b.request("POST", "/api/list", {"list": console.list, "on": "0"})
    assert a_of("listed.wild.sec.lab.")[:2] == ("NOERROR", ["192.0.2.80"])
    changes = json.loads(b.request("GET", "/api/changes")[1])
    assert changes["lists_on"] == [] and changes["lists_off"] == [console.list]
    b.request("POST", "/api/list", {"list": console.list, "on": "1"})
    assert a_of("listed.wild.sec.lab.")[2] == [15]
    res, _ = b.request("POST", "/api/list", {"list": "/etc/passwd", "on": "0"})
    assert res.status == 400  # only the configured lists


def test_changes_survive_a_restart(lab, tmp_path):
    pki = make_console_pki(str(tmp_path / "pki"), OTHER)
    (tmp_path / "list.txt").write_text("listed.wild.sec.lab\n")
    extra = console_config(pki, OTHER, tmp_path / "state.toml", tmp_path / "list.txt")
    with OwnPort53d(lab, tmp_path, OTHER, extra=extra, name="first"):
        b = Browser(pki, addr=OTHER)
        b.login()
        b.request("POST", "/api/block", {"name": "gone.wild.sec.lab."})
        b.request("POST", "/api/list", {"list": str(tmp_path / "list.txt"), "on": "0"})
    with OwnPort53d(lab, tmp_path, OTHER, extra=extra, name="second") as d:
        assert a_of("gone.wild.sec.lab.", OTHER)[0] == "NXDOMAIN"
        assert a_of("listed.wild.sec.lab.", OTHER)[0] == "NOERROR"
        # The console is opened once: a reload says so, and keeps it as it was.
        d.conf.write_text(d.conf.read_text().replace("login_attempts = 3", "login_attempts = 9"))
        d.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            if "console changed: needs a restart" in open(d.log).read():
                break
            time.sleep(0.05)
        else:
            pytest.fail("no restart warning:\n" + open(d.log).read()[-2000:])
        assert Browser(pki, addr=OTHER).login()[0].status == 200
    # A state file port53d cannot read stops the start with its name and line.
    (tmp_path / "state.toml").write_text("block = [1]\n")
    res = subprocess.run([PORT53D, "--check", "-c", str(tmp_path / "first.toml")],
                         capture_output=True, text=True, timeout=10)
    assert res.returncode == 1 and "state.toml:1: block holds strings only" in res.stderr


def test_top_names_clients_refused_and_the_query_log(console, pki):
    b = Browser(pki)
    b.login()
    for _ in range(3):
        a_of("top1.wild.sec.lab.")
    a_of("top2.wild.sec.lab.")
    a_of("nothing-here.sec.lab.")  # NXDOMAIN
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.7", 0))
    s.sendto(dns.message.make_query("refused.sec.lab.", "A").to_wire(), (ADDR, 53))
    s.close()

    def top(kind, period="hour"):
        res, data = b.request("GET", "/api/top?kind=%s&period=%s&n=50" % (kind, period))
        assert res.status == 200, data
        return {c["key"]: c["n"] for c in json.loads(data)}

    names = top("names")
    assert names["top1.wild.sec.lab."] >= 3 and names["top2.wild.sec.lab."] >= 1
    assert top("names", "day")["top1.wild.sec.lab."] >= 3
    assert top("clients")["127.0.0.1"] >= 5
    for _ in range(50):  # the dropped datagram is read by a worker soon
        if "127.0.0.7" in top("refused"):
            break
        time.sleep(0.05)
    assert top("refused") == {"127.0.0.7": 1}
    assert b.request("GET", "/api/top?kind=passwords")[0].status == 400

    latency = json.loads(b.request("GET", "/api/latency")[1])
    assert latency["n"] >= 5 and 0 < latency["p50_us"] <= latency["p99_us"] < 5_000_000
    res, data = b.request("GET", "/api/log?q=TOP1.wild&limit=2")
    entries = json.loads(data)
    assert len(entries) == 2 and all(e["name"] == "top1.wild.sec.lab." for e in entries)
    assert entries[0]["time"] >= entries[1]["time"] and entries[0]["cache_hit"]
    assert {e["client"] for e in entries} == {"127.0.0.1"}
    res, data = b.request("GET", "/api/log?rcode=NXDOMAIN")
    assert "nothing-here.sec.lab." in [e["name"] for e in json.loads(data)]
    res, data = b.request("GET", "/api/log?q=127.0.0.1&rcode=NOERROR&limit=1")
    assert len(json.loads(data)) == 1


def test_blocked_names_and_views(console, pki):
    b = Browser(pki)
    b.login()
    b.request("POST", "/api/block", {"name": "counted.wild.sec.lab."})
    a_of("counted.wild.sec.lab.")
    a_of("counted.wild.sec.lab.")
    res, data = b.request("GET", "/api/top?kind=blocked")
    assert {c["key"]: c["n"] for c in json.loads(data)}["counted.wild.sec.lab."] == 2
    blocked = json.loads(b.request("GET", "/api/log?blocked=1&type=A")[1])
    assert blocked and {e["name"] for e in blocked} <= {"counted.wild.sec.lab.",
                                                        "blockme.wild.sec.lab.",
                                                        "listed.wild.sec.lab."}
    assert all(e["blocked"] and e["ede"] == 15 for e in blocked)
    assert json.loads(b.request("GET", "/api/log?q=counted&type=AAAA")[1]) == []
    b.request("POST", "/api/unlist", {"name": "counted.wild.sec.lab."})
    views = json.loads(b.request("GET", "/api/views")[1])
    assert views == [{"name": "kids", "clients": ["127.0.0.8/32"], "listeners": [],
                      "doh_paths": [], "inherit": True, "local_records": 0,
                      "blocked_names": 1, "forward_zones": 0, "stub_zones": 0}]
