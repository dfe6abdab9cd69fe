"""Logs (issue 12): the query log writes one JSON line per answered query (UDP and DoH,
miss and hit) with the client cut to its prefix; logrotate's mv + SIGUSR1 (or port53-ctl
reopen-logs) moves the writing to a new file; a refused client is logged at warning once
per query, and a flood of them gives a bounded number of lines."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import PORT53D, OwnPort53d, port53d_only

ADDR = "127.53.0.75"
CLIENT = "127.53.0.76"     # an allowed client of our own
STRANGER = "127.53.0.77"   # refused by the access list
DOH_PORT = 8053
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")
RULES = 'access_control = ["127.0.0.0/8 allow", "%s/32 refuse"]\n' % STRANGER


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("logs")
    qlog = tmp / "queries.log"
    extra = """
[tls]
doh_http_listen = ["{a}:{doh}"]
[control]
socket = "{sock}"
[query_log]
file = "{qlog}"
anonymise_v4_prefix = 24
[security_log]
per_second = 3
""".format(a=ADDR, doh=DOH_PORT, sock=tmp / "control.sock", qlog=qlog)
    with OwnPort53d(lab, tmp, ADDR, server=RULES, extra=extra) as p:
        p.qlog, p.sock = qlog, str(tmp / "control.sock")
        yield p


def lines_for(path, name, want=1, tries=30):
    """The JSON lines about `name`, once there are `want` of them (the writer drains every
    100 ms: wait for them)."""
    found = []
    for _ in range(tries):
        found = [json.loads(l) for l in open(path).read().splitlines() if ('"%s"' % name) in l]
        if len(found) >= want:
            break
        time.sleep(0.05)
    return found


def udp(name, qtype="A", source=CLIENT):
    return dns.query.udp(dns.message.make_query(name, qtype), ADDR, timeout=3, source=source)


@port53d_only
def test_udp_queries_give_json_lines_miss_then_hit(own):
    assert udp("www.sec.lab.").rcode() == dns.rcode.NOERROR
    assert udp("www.sec.lab.").rcode() == dns.rcode.NOERROR
    assert udp("nonexistent.sec.lab.", "AAAA").rcode() == dns.rcode.NXDOMAIN
    www = lines_for(own.qlog, "www.sec.lab.", want=2)
    assert len(www) == 2, www
    for l in www:
        assert l["client"] == "127.53.0.0"  # cut to /24: the whole address is never written
        assert l["transport"] == "udp" and l["type"] == 1 and l["rcode"] == 0
        assert isinstance(l["latency_us"], int) and l["latency_us"] >= 0
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", l["time"])
    # Each worker has its own buffer, so lines from two workers may come in either order.
    assert sorted(l["cache"] for l in www) == [False, True], www
    nx = lines_for(own.qlog, "nonexistent.sec.lab.")
    assert len(nx) == 1 and nx[0]["rcode"] == 3 and nx[0]["type"] == 28
    assert CLIENT not in open(own.qlog).read()


@port53d_only
def test_doh_query_gives_a_doh_line(own):
    q = dns.message.make_query("mail.sec.lab.", "A")
    q.id = 0
    conn = http.client.HTTPConnection(ADDR, DOH_PORT, timeout=5)
    conn.request("POST", "/dns-query", body=q.to_wire(),
                 headers={"Content-Type": "application/dns-message",
                          "Accept": "application/dns-message"})
    resp = conn.getresponse()
    assert resp.status == 200
    assert dns.message.from_wire(resp.read()).rcode() == dns.rcode.NOERROR
    conn.close()
    lines = lines_for(own.qlog, "mail.sec.lab.")
    assert len(lines) == 1, lines
    assert lines[0]["transport"] == "doh" and lines[0]["rcode"] == 0
    assert lines[0]["client"] == "127.0.0.0"  # the connection came from 127.0.0.1


@port53d_only
@pytest.mark.parametrize("how", ["sigusr1", "port53-ctl"])
def test_rotation_moves_writing_to_a_new_file(own, how):
    udp("short.sec.lab.")
    assert lines_for(own.qlog, "short.sec.lab.")
    rotated = str(own.qlog) + "." + how
    os.rename(own.qlog, rotated)
    if how == "sigusr1":
        own.proc.send_signal(signal.SIGUSR1)
    else:
        r = subprocess.run([CTL, "-s", own.sock, "reopen-logs"], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 0, r
    name = "after-%s.sec.lab." % how
    for _ in range(50):  # the reopen is asynchronous: ask until the new file exists
        if os.path.exists(own.qlog):
            break
        time.sleep(0.05)
    udp(name)
    assert os.path.exists(own.qlog), "no new file after " + how
    assert lines_for(own.qlog, name), "the line went elsewhere"
    assert name not in open(rotated).read()


def security_lines(own):
    return [l for l in own.log_text().splitlines()
            if "security: refused client=%s" % STRANGER in l]


@port53d_only
def test_refused_client_is_logged_and_a_flood_is_bounded(own):
    before = len(security_lines(own))
    assert udp("www.sec.lab.", source=STRANGER).rcode() == dns.rcode.REFUSED
    time.sleep(0.2)
    lines = security_lines(own)
    assert len(lines) == before + 1, lines
    assert "[warning]" in lines[-1]
    # One socket: the same worker (SO_REUSEPORT hashes the source) sees the whole flood.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((STRANGER, 0))
    s.settimeout(2)
    wire = dns.message.make_query("www.sec.lab.", "A").to_wire()
    time.sleep(1.0)  # a fresh second, so the flood starts with the full allowance
    start = time.monotonic()
    for _ in range(600):
        s.sendto(wire, (ADDR, 53))
        s.recv(4096)
    seconds = time.monotonic() - start
    time.sleep(1.1)  # the next second: the next line reports what was left out
    s.sendto(wire, (ADDR, 53))
    s.recv(4096)
    s.close()
    time.sleep(0.2)
    flood = security_lines(own)[before + 1:]
    # per_second = 3: at most 3 lines in each second the flood touched, plus the summary.
    assert 3 <= len(flood) <= 3 * (int(seconds) + 2) + 1, flood
    suppressed = [int(m.group(1)) for l in flood
                  for m in [re.search(r"\((\d+) more suppressed\)", l)] if m]
    assert suppressed and sum(suppressed) + len(flood) == 601, flood


DNSTAP_ADDR = "127.53.0.78"


@port53d_only
def test_dnstap_capture_holds_client_and_resolver_messages(lab, tmp_path):
    """A real reader (fstrm_capture) takes the Frame Streams; dnstap-ldns decodes the file
    with the public schema."""
    sock, capture = tmp_path / "dnstap.sock", tmp_path / "capture.fstrm"
    reader = subprocess.Popen(["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", str(sock),
                               "-w", str(capture)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        extra = '\n[dnstap]\nsocket = "%s"\nidentity = "lab-resolver"\n' % sock
        with OwnPort53d(lab, tmp_path, DNSTAP_ADDR, extra=extra, name="dnstap"):
            dig = subprocess.run(["dig", "@" + DNSTAP_ADDR, "-b", "127.53.0.79", "+tries=1",
                                  "+time=5", "mail.sec.lab.", "A"], capture_output=True,
                                 text=True, timeout=20)
            assert "status: NOERROR" in dig.stdout, dig.stdout
            time.sleep(0.3)  # fstrm flushes its output every second at most
        # port53d has stopped: its I/O thread flushed and closed the stream.
    finally:
        reader.terminate()
        reader.wait(5)
    out = subprocess.run(["dnstap-ldns", "-y", "-r", str(capture)], capture_output=True,
                         text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    docs = out.stdout.split("\n---\n")

    def messages(kind, name):
        return [d for d in docs if "type: %s" % kind in d and name in d]
    cq = messages("CLIENT_QUERY", "mail.sec.lab.")
    cr = messages("CLIENT_RESPONSE", "mail.sec.lab.")
    assert len(cq) == 1 and len(cr) == 1, out.stdout
    assert 'query_address: "127.53.0.79"' in cq[0] and "socket_protocol: UDP" in cq[0]
    assert 'identity: "lab-resolver"' in cq[0]
    assert "NOERROR" in cr[0]
    # The resolution went to the lab's authorities: each query sent has its reply.
    rq = messages("RESOLVER_QUERY", "mail.sec.lab.")
    rr = messages("RESOLVER_RESPONSE", "mail.sec.lab.")
    assert rq and rr, out.stdout
    assert all('response_address: "127.' in m for m in rq + rr)
