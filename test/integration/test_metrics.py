"""The Prometheus endpoint (issue 12, metrics): GET /metrics on an address of its own answers
the text exposition format (every sample line well formed, each family with HELP and TYPE),
the figures move with what port53d does (cache entries after a question, a blocked name
counted under its list), other paths get 404, and a scraper outside the access list is
disconnected unanswered."""
import re
import subprocess

import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import ask, rcode_text

ADDR = "127.53.0.36"       # port53d, DNS on 53 and metrics on 9153
SCRAPER = "127.53.0.37"    # the one source the access list allows
STRANGER = "127.53.0.38"
URL = "http://%s:9153/metrics" % ADDR
SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? '
                    r'-?[0-9.e+]+$')


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metrics")
    hosts = tmp / "hosts"
    hosts.write_text("0.0.0.0 www.sec.lab\n")
    extra = """
[metrics]
listen = ["%s:9153"]
access_control = ["%s/32 allow"]
[blocklist]
files = ["%s"]
""" % (ADDR, SCRAPER, hosts)
    with OwnPort53d(lab, tmp, ADDR, extra=extra) as p:
        p.hosts = str(hosts)
        yield p


def scrape(source=SCRAPER, url=URL):
    return subprocess.run(["curl", "-sS", "--max-time", "5", "--interface", source, "-w",
                           "\n%{http_code}", url], capture_output=True, text=True, timeout=10)


def samples(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name_labels, value = line.rsplit(" ", 1)
            out[name_labels] = float(value)
    return out


@port53d_only
def test_the_page_is_well_formed_exposition_text(own):
    r = scrape()
    body, code = r.stdout.rsplit("\n", 1)
    assert code == "200", r
    families = set()
    for line in body.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            families.add(line.split()[2])
            continue
        assert SAMPLE.match(line), "not a sample line: %r" % line
        name = re.match(r"[a-z0-9_]+", line).group(0)
        # A histogram's samples carry its family name with _bucket, _sum or _count.
        assert name in families or re.sub(r"_(bucket|sum|count)$", "", name) in families, line
    assert 'port53_build_info{version="' in body


@port53d_only
def test_figures_follow_what_the_resolver_did(own):
    before = samples(scrape().stdout.rsplit("\n", 1)[0])
    _, r = ask(ADDR, "mail.sec.lab.", "A")
    assert rcode_text(r) == "NOERROR", r
    _, r = ask(ADDR, "www.sec.lab.", "A")
    assert rcode_text(r) == "NXDOMAIN", r
    after = samples(scrape().stdout.rsplit("\n", 1)[0])
    key = 'port53_blocklist_answers_total{list="%s"}' % own.hosts
    assert after[key] == before.get(key, 0) + 1, after
    assert after['port53_cache_entries{cache="answers"}'] > \
        before['port53_cache_entries{cache="answers"}'], after
    assert after["port53_blocklist_names"] == 1


@port53d_only
def test_other_paths_are_not_found(own):
    r = scrape(url="http://%s:9153/" % ADDR)
    assert r.stdout.endswith("404"), r


@port53d_only
def test_a_stranger_is_disconnected_unanswered(own):
    r = scrape(source=STRANGER)
    assert r.returncode != 0 and r.stdout.strip() in ("", "000"), r
