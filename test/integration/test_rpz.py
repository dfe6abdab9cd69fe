"""RPZ zones (issue 11): QNAME triggers with the NXDOMAIN, NODATA, DROP, PASSTHRU and local
data actions, "*.name" for the names below name, answered with EDE 17 (Filtered); PASSTHRU
wins over another list's block; names not listed resolve through the lab; a generated zone
of a million triggers loads and works."""
import re
import subprocess
import time

import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import TIMEOUT, answer_set, ask, rcode_text

RPZ_ADDR, BIG_ADDR = "127.53.0.30", "127.53.0.31"

RPZ = """$TTL 120
$ORIGIN rpz.test.
@ SOA localhost. root.localhost. 1 3600 600 86400 60
@ NS localhost.
www.sec.lab CNAME .
mail.sec.lab CNAME *.
drop.sec.lab CNAME rpz-drop.
nas.sec.lab A 192.0.2.53
nas.sec.lab AAAA 2001:db8::53
alias.sec.lab CNAME www.provider.example.
*.wild.sec.lab CNAME .
ok.wild.sec.lab CNAME rpz-passthru.
32.1.2.0.192.rpz-ip CNAME .
ns.evil.example.rpz-nsdname CNAME .
"""


@pytest.fixture(scope="module")
def rpz(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rpz")
    zone = tmp / "policy.rpz"
    zone.write_text(RPZ)
    domains = tmp / "domains.txt"
    domains.write_text("wild.sec.lab\n")
    extra = '\n[blocklist]\nfiles = ["%s"]\nrpz_files = ["%s"]\n' % (domains, zone)
    with OwnPort53d(lab, tmp, RPZ_ADDR, extra=extra, log_level="debug") as p:
        yield p


def dig(addr, name, qtype="A"):
    return subprocess.run(["dig", "@" + addr, "+tries=1", "+time=%d" % TIMEOUT, name, qtype],
                          capture_output=True, text=True, timeout=30).stdout


def edes(r):
    return [o.code for o in r.options if o.otype == 15]


@port53d_only
@pytest.mark.parametrize("name", ["www.sec.lab.", "drop.sec.lab.", "x.wild.sec.lab.",
                                  "a.b.wild.sec.lab."])
def test_nxdomain_and_drop_with_ede_filtered(rpz, name):
    out = dig(RPZ_ADDR, name)
    assert "status: NXDOMAIN" in out, out
    assert re.search(r"EDE: 17 \(Filtered\)", out), out
    assert re.search(r"IN\s+SOA", out), "no SOA for negative caching:\n" + out


@port53d_only
def test_nodata(rpz):
    _, r = ask(RPZ_ADDR, "mail.sec.lab.", "A")
    assert rcode_text(r) == "NOERROR"
    assert answer_set(r) == [], r
    assert edes(r) == [17], r


@port53d_only
def test_local_data(rpz):
    _, r4 = ask(RPZ_ADDR, "nas.sec.lab.", "A")
    _, r6 = ask(RPZ_ADDR, "nas.sec.lab.", "AAAA")
    assert answer_set(r4) == ["nas.sec.lab. A 192.0.2.53"], r4
    assert answer_set(r6) == ["nas.sec.lab. AAAA 2001:db8::53"], r6
    assert edes(r4) == [17], r4


@port53d_only
def test_local_cname_is_followed_through_the_lab(rpz):
    _, r = ask(RPZ_ADDR, "alias.sec.lab.", "A")
    assert answer_set(r) == ["alias.sec.lab. CNAME www.provider.example.",
                             "www.provider.example. A 198.51.100.10"], r
    assert edes(r) == [17], r


@port53d_only
def test_wildcard_is_the_subtree_not_the_name(rpz):
    # wild.sec.lab. itself is not an RPZ trigger: the domain list blocks it (EDE 15).
    out = dig(RPZ_ADDR, "wild.sec.lab.")
    assert "status: NXDOMAIN" in out and "EDE: 15 (Blocked)" in out, out


@port53d_only
def test_passthru_wins_over_the_wildcard_and_another_list(rpz):
    _, r = ask(RPZ_ADDR, "ok.wild.sec.lab.", "A")
    assert answer_set(r) == ["ok.wild.sec.lab. A 192.0.2.80"], r
    assert edes(r) == [], r


@port53d_only
@pytest.mark.parametrize("name,want", [
    ("short.sec.lab.", "short.sec.lab. A 192.0.2.5"),
    ("www.provider.example.", "www.provider.example. A 198.51.100.10"),
])
def test_unlisted_names_resolve(rpz, name, want):
    _, r = ask(RPZ_ADDR, name, "A")
    assert answer_set(r) == [want], r
    assert edes(r) == [], r


@port53d_only
def test_unsupported_triggers_are_logged_and_answers_counted(rpz):
    log = rpz.log_text()
    assert re.search(r"rpz .*policy\.rpz: 2 rules skipped", log), log
    dig(RPZ_ADDR, "www.sec.lab.")
    time.sleep(0.2)
    assert re.search(r"policy\.rpz: www\.sec\.lab\. filtered \(\d+ answers\)", rpz.log_text())


@port53d_only
def test_a_million_trigger_zone_loads_and_works(lab, tmp_path):
    big = tmp_path / "big.rpz"
    with open(big, "w") as f:
        f.write("$ORIGIN rpz.test.\n@ 60 SOA localhost. root.localhost. 1 3600 600 86400 60\n")
        for i in range(1_000_000):
            f.write("h%d.ads%d.example 60 CNAME .\n" % (i, i % 97))
    extra = '\n[blocklist]\nrpz_files = ["%s"]\n' % big
    with OwnPort53d(lab, tmp_path, BIG_ADDR, extra=extra) as p:
        for name in ("h0.ads0.example.", "h999999.ads%d.example." % (999999 % 97)):
            assert "EDE: 17" in dig(BIG_ADDR, name), name
        _, r = ask(BIG_ADDR, "www.sec.lab.", "A")
        assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"], r
        m = re.search(r"rpz \S+: (\d+) triggers, \d+ passthru, (\d+) KiB, loaded in (\d+) ms",
                      p.log_text())
        assert m, p.log_text()
        assert int(m.group(1)) == 1_000_000
        rss = re.search(r"VmRSS:\s+(\d+) kB", open("/proc/%d/status" % p.proc.pid).read())
        print("1M-trigger RPZ: %s KiB, loaded in %s ms, port53d RSS %s kB"
              % (m.group(2), m.group(3), rss.group(1)))
