"""Blocklists (issue 11): hosts files, domain lists and adblock rules block names for clients
with EDE 15 (Blocked), allowlists and @@ rules win, a CNAME into a blocked domain is blocked
too, the answer can be NXDOMAIN or null addresses, and a generated million-name list loads
and works."""
import re
import subprocess

import dns.flags
import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import TIMEOUT, answer_set, ask, rcode_text

NX_ADDR, NULL_ADDR, BIG_ADDR = "127.53.0.16", "127.53.0.17", "127.53.0.18"

HOSTS = "# hosts\n127.0.0.1 localhost\n0.0.0.0 www.sec.lab\n"
DOMAINS = "provider.example\n"             # the target of c1.sec.lab.'s CNAME chain
ADBLOCK = "! adblock\n||wild.sec.lab^\n@@||ok.wild.sec.lab^\nexample.com##.ad\n"
ALLOW = "mail.sec.lab\n"


def config(tmp, answer, files):
    names = []
    for name, text in files.items():
        p = tmp / name
        p.write_text(text)
        names.append('"%s"' % p)
    allow = tmp / "allow.txt"
    allow.write_text(ALLOW)
    return ('\n[blocklist]\nfiles = [%s]\nallow_files = ["%s"]\nblock = ["blocked.example."]\n'
            'answer = "%s"\n' % (", ".join(names), allow, answer))


@pytest.fixture(scope="module")
def nx(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blocknx")
    extra = config(tmp, "nxdomain", {"hosts": HOSTS, "domains.txt": DOMAINS, "ads.txt": ADBLOCK})
    with OwnPort53d(lab, tmp, NX_ADDR, extra=extra) as p:
        yield p


def dig(addr, name, qtype="A"):
    return subprocess.run(["dig", "@" + addr, "+tries=1", "+time=%d" % TIMEOUT, name, qtype],
                          capture_output=True, text=True, timeout=30).stdout


@port53d_only
@pytest.mark.parametrize("name", ["www.sec.lab.", "ns.provider.example.", "x.wild.sec.lab.",
                                  "blocked.example."])
def test_listed_names_are_nxdomain_with_ede_blocked(nx, name):
    out = dig(NX_ADDR, name)
    assert "status: NXDOMAIN" in out, out
    assert re.search(r"EDE: 15 \(Blocked\)", out), out
    assert re.search(r"IN\s+SOA", out), "no SOA for negative caching:\n" + out


@port53d_only
@pytest.mark.parametrize("name,want", [
    ("ok.wild.sec.lab.", ["ok.wild.sec.lab. A 192.0.2.80"]),   # @@ exception
    ("mail.sec.lab.", ["mail.sec.lab. A 192.0.2.25"]),         # allowlist file
    ("www.provider.lab.", None),                               # not listed at all
])
def test_exceptions_and_unlisted_names_resolve(nx, name, want):
    _, r = ask(NX_ADDR, name, "A")
    assert not any(o.otype == 15 for o in r.options), r
    if want:
        assert answer_set(r) == want, r


@port53d_only
def test_cname_into_a_blocked_domain_is_blocked(nx):
    out = dig(NX_ADDR, "c1.sec.lab.")
    assert "status: NXDOMAIN" in out, out
    assert "EDE: 15" in out, out
    assert "c1.sec.lab." in out and "CNAME" in out, out


@port53d_only
def test_null_answer_gives_unspecified_addresses(lab, tmp_path):
    extra = config(tmp_path, "null", {"hosts": HOSTS})
    with OwnPort53d(lab, tmp_path, NULL_ADDR, extra=extra):
        _, r4 = ask(NULL_ADDR, "www.sec.lab.", "A")
        _, r6 = ask(NULL_ADDR, "www.sec.lab.", "AAAA")
        assert answer_set(r4) == ["www.sec.lab. A 0.0.0.0"], r4
        assert answer_set(r6) == ["www.sec.lab. AAAA ::"], r6
        assert rcode_text(r4) == "NOERROR"


@port53d_only
def test_a_million_name_list_loads_and_blocks(lab, tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "w") as f:
        for i in range(1_000_000):
            f.write("h%d.ads%d.example\n" % (i, i % 97))
    extra = '\n[blocklist]\nfiles = ["%s"]\n' % big
    with OwnPort53d(lab, tmp_path, BIG_ADDR, extra=extra) as p:
        for name in ("h0.ads0.example.", "h999999.ads%d.example." % (999999 % 97)):
            assert "EDE: 15" in dig(BIG_ADDR, name), name
        _, r = ask(BIG_ADDR, "www.sec.lab.", "A")
        assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"], r
        m = re.search(r"blocklists: (\d+) names, (\d+) KiB, loaded in (\d+) ms", p.log_text())
        assert m, p.log_text()
        assert int(m.group(1)) == 1_000_000
        print("1M-name list: %s KiB, loaded in %s ms" % (m.group(2), m.group(3)))
