"""A cache that survives restarts (issue 12): with [cache] file set, port53d writes its
caches on SIGTERM (after draining) and reads them back at start, so after a restart the
names it knew are answered from cache with no upstream query, their TTLs lowered by the
time that passed, their validation state (AD) kept. A damaged file is ignored with a
warning and port53d serves from an empty cache. port53-ctl dump-cache, load-cache, lookup
and flush-bogus work on the running caches."""
import os
import re
import subprocess
import time

import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from dnsclient import ask, rcode_text

RESTART_ADDR = "127.53.0.65"
CORRUPT_ADDR = "127.53.0.66"
CTL_ADDR = "127.53.0.67"
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")

# (name, type, AD expected): positive, secure and NXDOMAIN answers, a CNAME chain.
NAMES = [("www.sec.lab.", "A", True), ("mail.sec.lab.", "A", True),
         ("www.target.example.", "A", True), ("nope.sec.lab.", "A", True),
         ("c1.sec.lab.", "A", True), ("www.insecure.lab.", "A", False)]


def answer_ttl(r):
    return min(rrset.ttl for rrset in r.answer + r.authority)


def ctl(sock, *args):
    return subprocess.run([CTL, "-s", sock, *args], capture_output=True, text=True, timeout=20)


@port53d_only
def test_restart_answers_from_the_cache_file(lab, tmp_path):
    path = tmp_path / "cache.dump"
    conf = dict(cache='file = "%s"\n' % path, log_level="debug")
    before = {}
    with OwnPort53d(lab, tmp_path, RESTART_ADDR, name="first", **conf) as first:
        for name, qtype, _ in NAMES:
            _, r = ask(RESTART_ADDR, name, qtype)
            assert rcode_text(r) in ("NOERROR", "NXDOMAIN"), (name, r)
            before[name] = (rcode_text(r), answer_ttl(r), r.flags & 0x20)
        assert first.asked_upstream("www.sec.lab.", 1)
    stopped = time.monotonic()
    assert re.search(r"cache file .*: \d+ records, \d+ bytes, written", first.log_text())
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    time.sleep(2.2)  # so the TTLs must have gone down by at least 1 s
    with OwnPort53d(lab, tmp_path, RESTART_ADDR, name="second", **conf) as second:
        loaded = re.search(r"cache file .*: (\d+) records loaded", second.log_text())
        assert loaded and int(loaded.group(1)) > 10, second.log_text()
        for name, qtype, secure in NAMES:
            _, r = ask(RESTART_ADDR, name, qtype)
            elapsed = int(time.monotonic() - stopped)
            rcode, ttl, ad = before[name]
            assert rcode_text(r) == rcode, (name, r)
            # +1: the wall clock and the monotonic clock tick apart, by under a second
            assert answer_ttl(r) <= ttl - elapsed + 1, (name, ttl, elapsed, r)
            assert bool(r.flags & 0x20) == bool(ad) == secure, (name, r)
            assert second.asked_upstream(name) == [], (name, "asked upstream after restart")


@port53d_only
@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_cache_file_is_ignored_with_a_warning(lab, tmp_path, damage):
    path = tmp_path / "cache.dump"
    conf = dict(cache='file = "%s"\n' % path)
    with OwnPort53d(lab, tmp_path, CORRUPT_ADDR, name="writer", **conf):
        ask(CORRUPT_ADDR, "www.sec.lab.", "A")
    data = path.read_bytes()
    path.write_bytes({"garbage": b"\x00garbage" * 100, "truncated": data[:len(data) // 2],
                      "empty": b""}[damage])
    with OwnPort53d(lab, tmp_path, CORRUPT_ADDR, name="reader", **conf) as p:
        assert re.search(r"warning.*cache file ignored", p.log_text(), re.I), p.log_text()
        _, r = ask(CORRUPT_ADDR, "www.sec.lab.", "A")
        assert rcode_text(r) == "NOERROR"


@port53d_only
def test_ctl_dump_load_lookup_and_flush_bogus(lab, tmp_path):
    sock = tmp_path / "control.sock"
    dump = tmp_path / "ctl.dump"
    with OwnPort53d(lab, tmp_path, CTL_ADDR, log_level="debug",
                    extra='\n[control]\nsocket = "%s"\n' % sock) as p:
        sock = str(sock)
        ask(CTL_ADDR, "www.sec.lab.", "A")
        r = ctl(sock, "lookup", "www.sec.lab")
        assert r.returncode == 0, r
        assert re.search(r"^rrset A ttl \d+ auth-answer secure$", r.stdout, re.M), r.stdout
        assert re.search(r"^answer A ttl \d+ rcode 0 AD", r.stdout, re.M), r.stdout
        assert re.search(r"^servers of sec\.lab\. .*\n  ns1\.sec\.lab\. 127\.", r.stdout, re.M), r.stdout
        r = ctl(sock, "dump-cache", str(dump))
        assert r.returncode == 0 and re.search(r"\d+ records", r.stdout), r
        assert ctl(sock, "flush-all").returncode == 0
        asked = len(p.asked_upstream("www.sec.lab.", 1))
        r = ctl(sock, "load-cache", str(dump))
        assert r.returncode == 0 and re.search(r"[1-9]\d* records loaded", r.stdout), r
        _, a = ask(CTL_ADDR, "www.sec.lab.", "A")
        assert rcode_text(a) == "NOERROR" and a.flags & 0x20
        assert len(p.asked_upstream("www.sec.lab.", 1)) == asked, "not answered from the dump"
        # Bogus data is kept briefly in the RRset cache; flush-bogus forgets it, only it.
        _, b = ask(CTL_ADDR, "www.forged.example.", "A")
        assert rcode_text(b) == "SERVFAIL"
        assert re.search(r" bogus$", ctl(sock, "lookup", "www.forged.example").stdout, re.M)
        r = ctl(sock, "flush-bogus")
        assert r.returncode == 0 and re.search(r"[1-9]\d* bogus cache entries", r.stdout), r
        assert not re.search(r" bogus$", ctl(sock, "lookup", "www.forged.example").stdout, re.M)
        assert re.search(r"^rrset A ttl", ctl(sock, "lookup", "www.sec.lab").stdout, re.M)
        for args in (["dump-cache", "relative.dump"], ["load-cache", str(tmp_path / "none")],
                     ["lookup", "bad..name"]):
            r = ctl(sock, *args)
            assert r.returncode == 1 and r.stderr.startswith("error: "), (args, r)
