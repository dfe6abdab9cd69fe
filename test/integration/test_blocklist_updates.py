"""Blocklists that change while port53d runs (issue 11): a list downloaded over HTTPS (from
openssl s_server with a test CA, the host name resolved by port53d itself from its local
data) blocks names, is downloaded again on schedule, and is kept on disk so a restart with
the server gone still blocks; an edited list file is reloaded without dropping the rest of
the cache, and an answer cached before a name was listed is not served after; a server whose
certificate the CA did not sign gives no list."""
import re
import subprocess
import time

import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import ask, rcode_text
from encrypted import make_name_pki

ADDR = "127.53.0.32"      # port53d trusting the test CA
HTTPS = "127.53.0.33"     # openssl s_server -WWW, port 8443
WRONG_CA = "127.53.0.34"  # port53d trusting another CA
HOST = "lists.home.arpa"
URL = "https://%s:8443/ads.txt" % HOST


def config(tmp, ca, name):
    listfile = tmp / ("%s-local.txt" % name)
    if not listfile.exists():
        listfile.write_text("www.provider.lab\n")
    return """
[local]
data = ["%s. 60 IN A %s"]
[blocklist]
files = ["%s"]
urls = ["%s"]
url_refresh = 2
watch_interval = 1
download_dir = "%s"
ca_file = "%s"
""" % (HOST, HTTPS, listfile, URL, tmp / ("%s-lists" % name), ca)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pki = make_name_pki(str(tmp_path_factory.mktemp("lists-pki")), HOST)
    www = tmp_path_factory.mktemp("lists-www")
    (www / "ads.txt").write_text("! adblock list\n||wild.sec.lab^\n")
    server = subprocess.Popen(
        ["openssl", "s_server", "-quiet", "-WWW", "-accept", "%s:8443" % HTTPS,
         "-cert", pki["server"], "-key", pki["key"]],
        cwd=www, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    yield {"pki": pki, "www": www, "server": server}
    server.terminate()
    server.wait(5)


@pytest.fixture(scope="module")
def own(lab, site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lists")
    with OwnPort53d(lab, tmp, ADDR, extra=config(tmp, site["pki"]["ca"], "own"),
                    log_level="debug") as p:
        p.tmp = tmp
        yield p


def blocked(addr, name):
    _, r = ask(addr, name, "A")
    return rcode_text(r) == "NXDOMAIN" and any(o.otype == 15 for o in r.options)


def eventually(check, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False



@port53d_only
def test_downloaded_list_blocks_and_is_counted_as_its_url(own):
    assert eventually(lambda: blocked(ADDR, "x.wild.sec.lab.")), own.log_text()
    assert blocked(ADDR, "www.provider.lab.")  # the file beside it
    assert not blocked(ADDR, "www.sec.lab.")
    log = own.log_text()
    assert re.search(re.escape(URL) + r": downloaded \d+ bytes", log), log
    assert re.search(re.escape(URL) + r": x\.wild\.sec\.lab\. filtered \(1 answers\)", log), log
    assert "www.provider.lab. filtered" in log


@port53d_only
def test_edited_file_blocks_a_cached_name_and_keeps_the_rest_cached(own):
    eventually(lambda: blocked(ADDR, "x.wild.sec.lab."))
    for name in ("mail.sec.lab.", "www.sec.lab."):
        _, r = ask(ADDR, name, "A")
        assert rcode_text(r) == "NOERROR" and r.answer, r
    before = len(own.asked_upstream("www.sec.lab.", 1))
    assert before >= 1, "the upstream-query check sees nothing"
    (own.tmp / "own-local.txt").write_text("www.provider.lab\nmail.sec.lab\n")
    assert eventually(lambda: blocked(ADDR, "mail.sec.lab.")), own.log_text()
    _, r = ask(ADDR, "www.sec.lab.", "A")
    assert rcode_text(r) == "NOERROR" and r.answer, r
    assert len(own.asked_upstream("www.sec.lab.", 1)) == before, "the cache was dropped"
    assert re.search(r"blocklists reloaded: \d+ names; [1-9]\d* cached answer", own.log_text())


@port53d_only
def test_changed_download_replaces_the_list(own, site):
    eventually(lambda: blocked(ADDR, "x.wild.sec.lab."))
    (site["www"] / "ads.txt").write_text("0.0.0.0 ns.sec.lab\n")
    assert eventually(lambda: blocked(ADDR, "ns.sec.lab.")), own.log_text()
    assert not blocked(ADDR, "x.wild.sec.lab.")


@port53d_only
def test_a_server_the_ca_did_not_sign_gives_no_list(lab, site, tmp_path):
    extra = config(tmp_path, site["pki"]["other"], "wrong")
    with OwnPort53d(lab, tmp_path, WRONG_CA, extra=extra, name="wrong") as p:
        assert eventually(lambda: "download failed" in p.log_text()), p.log_text()
        assert re.search(r"download failed: .*(SSL|certificate)", p.log_text()), p.log_text()
        assert not blocked(WRONG_CA, "ns.sec.lab.")
        assert not blocked(WRONG_CA, "x.wild.sec.lab.")


@port53d_only
def test_restart_blocks_from_the_copy_on_disk_with_the_server_gone(lab, own, site):
    eventually(lambda: blocked(ADDR, "ns.sec.lab."))
    own.__exit__(None, None, None)
    site["server"].terminate()
    site["server"].wait(5)
    with OwnPort53d(lab, own.tmp, ADDR, extra=config(own.tmp, site["pki"]["ca"], "own"),
                    name="again") as p:
        assert blocked(ADDR, "ns.sec.lab."), p.log_text()
