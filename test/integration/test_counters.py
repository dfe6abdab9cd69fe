"""The per-worker counters (issue 12, metrics) with real clients: dig over UDP and TCP, kdig
over DoT, curl over DoH. Each query moves its transport's, type's and rcode's counters by
exactly one; answer-cache hits and misses, connections, TLS handshakes, the EDE of a blocked
name, upstream figures and the response-time histogram follow; the histogram is
well formed; `port53-ctl stats --json` parses and agrees with /metrics; `infra` lists the
lab's servers after a resolution and `list-inflight` shows a question still being
resolved."""
import base64
import json
import os
import re
import socket
import subprocess
import time

import dns.message
import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from encrypted import make_pki

ADDR = "127.53.0.60"       # port53d: DNS 53, DoT 853, DoH 443, metrics 9153
SCRAPER = "127.53.0.61"
SILENT = "127.53.0.62"     # a "server" that reads nothing and answers nothing
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")
URL = "http://%s:9153/metrics" % ADDR


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("counters")
    pki = make_pki(str(tmp / "pki"), ip=ADDR)
    hosts = tmp / "hosts"
    hosts.write_text("0.0.0.0 blocked.sec.lab\n")
    sock = tmp / "control.sock"
    extra = """
[metrics]
listen = ["{a}:9153"]
[control]
socket = "{sock}"
[blocklist]
files = ["{hosts}"]
[tls]
certificate = "{cert}"
private_key = "{key}"
dot_listen = ["{a}:853"]
doh_listen = ["{a}:443"]
[[forward]]
zone = "hole.lab"
servers = ["{silent}"]
insecure = true
""".format(a=ADDR, sock=sock, hosts=hosts, cert=pki["cert1"], key=pki["key1"], silent=SILENT)
    with OwnPort53d(lab, tmp, ADDR, extra=extra, name="counters") as p:
        p.sock, p.pki = str(sock), pki
        yield p


def ctl(own, *args):
    return subprocess.run([CTL, "-s", own.sock, *args], capture_output=True, text=True,
                          timeout=10)


def page():
    r = subprocess.run(["curl", "-sS", "--max-time", "5", "--noproxy", "*", "--interface",
                        SCRAPER, URL], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r
    return r.stdout


def samples(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def moved(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def dig(*args):
    r = subprocess.run(["dig", "@" + ADDR, "+tries=1", "+time=5", *args], capture_output=True,
                       text=True, timeout=15)
    assert r.returncode == 0, r
    return r.stdout


def kdig_dot(own, name, qtype):
    r = subprocess.run(["kdig", "@" + ADDR, "-p", "853", "+tls-ca=%s" % own.pki["ca"],
                        "+tls-hostname=%s" % ADDR, name, qtype], capture_output=True, text=True,
                       timeout=15)
    assert r.returncode == 0, r
    return r.stdout


def curl_doh(own, name, qtype):
    q = base64.urlsafe_b64encode(dns.message.make_query(name, qtype).to_wire()).rstrip(b"=")
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "--noproxy", "*", "--http2",
                        "--cacert", own.pki["ca"], "-o", "-",
                        "https://%s/dns-query?dns=%s" % (ADDR, q.decode())],
                       capture_output=True, timeout=15)
    assert r.returncode == 0, r
    return dns.message.from_wire(r.stdout)


@port53d_only
def test_each_transport_type_and_rcode_counts_exactly(own):
    before = samples(page())
    assert "status: NOERROR" in dig("www.sec.lab.", "A")
    assert "status: NOERROR" in dig("+tcp", "www.sec.lab.", "AAAA")
    assert "status: NOERROR" in kdig_dot(own, "www.sec.lab.", "TXT")
    assert curl_doh(own, "sec.lab.", "MX").rcode() == 0
    assert "status: NXDOMAIN" in dig("nothere.sec.lab.", "A")
    assert "status: NOERROR" in dig("www.sec.lab.", "A")  # from the answer cache
    after = samples(page())
    for transport, n in (("udp", 3), ("tcp", 1), ("dot", 1), ("doh", 1)):
        key = 'port53_queries_total{transport="%s"}' % transport
        assert moved(before, after, key) == n, key
    for qtype, n in (("A", 3), ("AAAA", 1), ("TXT", 1), ("MX", 1), ("SOA", 0)):
        key = 'port53_queries_by_type_total{qtype="%s"}' % qtype
        assert moved(before, after, key) == n, key
    assert moved(before, after, 'port53_answers_by_rcode_total{rcode="NOERROR"}') == 5
    assert moved(before, after, 'port53_answers_by_rcode_total{rcode="NXDOMAIN"}') == 1
    assert moved(before, after, 'port53_answer_cache_lookups_total{result="hit"}') == 1
    assert moved(before, after, 'port53_answer_cache_lookups_total{result="miss"}') == 5
    for transport in ("tcp", "dot", "doh"):
        assert moved(before, after, 'port53_connections_total{transport="%s"}' % transport) == 1
    assert moved(before, after, 'port53_tls_handshakes_total{result="ok"}') == 2
    assert moved(before, after, 'port53_validation_total{result="secure"}') >= 4
    assert moved(before, after, "port53_upstream_queries_total") >= 1
    # Every query landed on some worker.
    workers = [k for k in after if k.startswith("port53_worker_queries_total{")]
    assert workers and sum(after[k] for k in workers) == sum(
        after['port53_queries_total{transport="%s"}' % t] for t in ("udp", "tcp", "dot", "doh"))


@port53d_only
def test_a_blocked_name_counts_its_extended_error(own):
    key = 'port53_answers_by_ede_total{ede="15"}'
    before = samples(page())
    dig("blocked.sec.lab.", "A")
    assert moved(before, samples(page()), key) == 1


@port53d_only
def test_upstream_tcp_fallback_and_a_well_formed_histogram(own):
    before = samples(page())
    out = dig("+tcp", "big.sec.lab.", "TXT")   # 3.3 kB: the authority truncates over UDP
    assert "status: NOERROR" in out
    text = page()
    after = samples(text)
    assert moved(before, after, "port53_upstream_tcp_fallbacks_total") >= 1
    assert "# TYPE port53_upstream_response_seconds histogram" in text
    buckets = [(m.group(1), float(m.group(2))) for m in re.finditer(
        r'^port53_upstream_response_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)]
    assert buckets[-1][0] == "+Inf"
    bounds = [float(le) for le, _ in buckets[:-1]]
    assert bounds == sorted(bounds) and len(set(bounds)) == len(bounds)
    counts = [n for _, n in buckets]
    assert counts == sorted(counts), "buckets are cumulative"
    assert counts[-1] == after["port53_upstream_response_seconds_count"] > 0
    assert after["port53_upstream_response_seconds_sum"] > 0
    assert moved(before, after, "port53_upstream_response_seconds_count") >= 1


@port53d_only
def test_stats_json_parses_and_matches_the_page(own):
    r = ctl(own, "stats", "--json")
    assert r.returncode == 0, r
    figures = json.loads(r.stdout)   # port53-ctl prints what follows the "ok" line
    build = figures["port53_build_info"]
    assert build[0]["value"] == 1 and build[0]["labels"]["version"]
    udp = [s for s in figures["port53_queries_total"] if s["labels"] == {"transport": "udp"}]
    assert len(udp) == 1 and udp[0]["value"] >= 1
    text = page()
    # The page's families are all there (figures may have moved in between, names may not).
    names = {l.split("{")[0].split(" ")[0] for l in text.splitlines() if not l.startswith("#")}
    assert names == set(figures)


@port53d_only
def test_infra_lists_the_lab_servers_after_a_resolution(own):
    dig("mail.sec.lab.", "A")
    r = ctl(own, "infra")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["server", "srtt_ms", "rttvar_ms", "timeouts", "state"]
    lab_rows = [l.split() for l in lines[1:] if l.startswith("127.100.")]
    assert lab_rows, r.stdout
    measured = [row for row in lab_rows if row[4] == "ok"]
    assert measured and all(float(row[1]) > 0 for row in measured), r.stdout


@port53d_only
def test_list_inflight_shows_a_question_being_resolved(own):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((SILENT, 53))   # hole.lab's forwarder: the question stays in flight
    slow = subprocess.Popen(["dig", "@" + ADDR, "+tries=1", "+time=5", "www.hole.lab.", "A"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        out, ages = "", []
        for _ in range(40):
            out = ctl(own, "list-inflight").stdout
            ages += [int(a) for a in re.findall(r"^www\.hole\.lab\. A (\d+)ms 1 client$", out,
                                                re.M)]
            if len(ages) >= 2:
                break
            time.sleep(0.1)
        assert len(ages) >= 2 and ages[-1] > ages[0], out   # it is there, and ageing
    finally:
        slow.kill()
        slow.wait()
        silent.close()


@port53d_only
def test_the_grafana_dashboard_asks_only_for_figures_the_page_has(own):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "tools", "grafana", "port53.json")) as f:
        dashboard = json.load(f)
    assert dashboard["templating"]["list"][0]["type"] == "datasource"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    wanted = set(re.findall(r"\bport53_[a-z_]+", " ".join(exprs)))
    text = page()
    have = {l.split("{")[0].split(" ")[0] for l in text.splitlines() if not l.startswith("#")}
    assert wanted and wanted <= have, wanted - have
