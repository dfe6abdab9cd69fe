"""port53-load (tools/loadgen, issue 13) against a port53d of its own: 1 s at a fixed
low rate over UDP, TCP and DoT (certificate checked against the test CA) answers everything
NOERROR with nothing lost, DoT connections after the first resume the TLS session; a silent
address loses every query; a run without a bound is refused."""
import os
import re
import subprocess

import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from dnsclient import ask, rcode_text
from encrypted import install_cert, make_pki

ADDR = "127.53.0.95"     # port53d
SILENT = "127.53.0.96"   # nothing listens here
LOAD = os.environ.get("PORT53_LOAD") or os.path.join(os.path.dirname(os.path.abspath(PORT53D)),
                                                   "port53-load")
NAMES = [("www.sec.lab.", "A"), ("www.sec.lab.", "AAAA"), ("www.sec.lab.", "TXT"),
         ("sec.lab.", "MX"), ("www.target.example.", "A"), ("www.provider.example.", "A")]


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("loadgen")
    pki = make_pki(str(tmp / "pki"), ip=ADDR)
    install_cert(pki, 1)
    extra = """
[tls]
certificate = "%s"
private_key = "%s"
dot_listen = ["%s:853"]
""" % (pki["cert"], pki["key"], ADDR)
    with OwnPort53d(lab, tmp, ADDR, extra=extra) as p:
        p.ca = pki["ca"]
        for name, qtype in NAMES:  # warm: the load measures cache hits
            _, r = ask(ADDR, name, qtype)
            assert rcode_text(r) == "NOERROR", (name, qtype, r)
        p.queries = tmp / "queries.txt"
        p.queries.write_text("# name type\n" + "".join("%s %s\n" % nt for nt in NAMES))
        yield p


def load(*args, timeout=30):
    if not os.access(LOAD, os.X_OK):
        pytest.skip("no port53-load beside %s" % PORT53D)
    return subprocess.run([LOAD, *args], capture_output=True, text=True, timeout=timeout)


def figure(text, label):
    m = re.search(r"^\s*%s:\s+(\d+)" % re.escape(label), text, re.M)
    assert m, "no %r in:\n%s" % (label, text)
    return int(m.group(1))


def rcodes(text):
    m = re.search(r"Response codes:\s+(.*)", text)
    return dict((rc, int(n)) for rc, n in re.findall(r"([A-Z0-9]+) (\d+) \(", m.group(1)))


@port53d_only
@pytest.mark.parametrize("mode", ["udp", "tcp", "dot"])
def test_a_second_at_2000_qps_loses_nothing(own, mode):
    tls = ["--ca", own.ca] if mode == "dot" else []
    r = load("-s", ADDR, "-m", mode, "-d", str(own.queries), "-Q", "2000", "-l", "1",
             "-c", "4", "-q", "20", "-t", "2", *tls)
    assert r.returncode == 0, r.stderr
    sent = figure(r.stdout, "Queries sent")
    # 2000/s for 1 s, minus the first and last few milliseconds
    assert 1900 <= sent <= 2100, r.stdout
    assert figure(r.stdout, "Queries completed") == sent, r.stdout
    assert figure(r.stdout, "Queries lost") == 0, r.stdout
    assert rcodes(r.stdout) == {"NOERROR": sent}, r.stdout
    assert "Latency percentiles (s): p50 " in r.stdout
    if mode != "udp":
        m = re.search(r"Connections:\s+(\d+) \(TLS resumed (\d+), errors (\d+)\)", r.stdout)
        assert m, r.stdout
        # four connections, none broken; DoT: the first does a full handshake, the others
        # wait for its session ticket and resume
        assert m.groups() == ("4", "3" if mode == "dot" else "0", "0"), r.stdout


@port53d_only
def test_dot_refuses_a_certificate_the_ca_did_not_sign(own, tmp_path):
    other = make_pki(str(tmp_path / "other"), ip=ADDR)
    r = load("-s", ADDR, "-m", "dot", "-d", str(own.queries), "-n", "1", "-c", "1",
             "--ca", other["ca"])
    assert r.returncode == 0, r.stderr
    assert figure(r.stdout, "Queries completed") == 0, r.stdout
    assert re.search(r"Connections:.*errors [1-9]", r.stdout), r.stdout


def test_a_silent_server_loses_every_query(own):
    r = load("-s", SILENT, "-d", str(own.queries), "-n", "2", "-c", "2", "-q", "3",
             "-t", "0.3")
    assert r.returncode == 0, r.stderr
    assert figure(r.stdout, "Queries sent") == 2 * len(NAMES), r.stdout
    assert figure(r.stdout, "Queries lost") == 2 * len(NAMES), r.stdout
    assert figure(r.stdout, "Queries completed") == 0, r.stdout


def test_a_run_without_a_bound_is_refused(own):
    r = load("-s", ADDR, "-d", str(own.queries))
    assert r.returncode == 2 and "no bound" in r.stderr, r
