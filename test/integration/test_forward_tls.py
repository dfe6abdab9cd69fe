"""Forwarding over DNS over TLS (issue 11): port53d sends every question to an Unbound that
listens only on DoT (853) with a certificate from a test CA, authenticates it by name, and
still validates the answers itself. A wrong name or an untrusted CA fails closed: SERVFAIL,
no question reaches the upstream over TLS, and none goes out in plain DNS (a catcher on the
upstream's port 53 sees nothing)."""
import os
import re
import socket
import subprocess
import threading
import time

import dns.flags
import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import answer_set, ask, rcode_text
from encrypted import make_name_pki

FORWARDER = "127.53.0.23"   # port53d forwarding everything over DoT, the right name
UPSTREAM = "127.53.0.24"    # Unbound, DoT only, resolving the lab
WRONG_NAME = "127.53.0.25"  # port53d expecting another name on the same certificate
WRONG_CA = "127.53.0.26"    # port53d trusting another CA
AUTH_NAME = "dot.lab.test"

CASES = ["a", "nxdomain-nsec", "wildcard-nsec3", "cname-chain", "insecure", "forged"]


class PlainCatcher:
    """UDP and TCP sockets on the upstream's port 53: anything arriving there is a question
    sent in plain DNS, which DoT forwarding must never do."""

    def __init__(self, addr):
        self.seen = []
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((addr, 53))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((addr, 53))
        self.tcp.listen(16)
        for sock, kind in ((self.udp, "udp"), (self.tcp, "tcp")):
            threading.Thread(target=self._watch, args=(sock, kind), daemon=True).start()

    def _watch(self, sock, kind):
        while True:
            try:
                if kind == "udp":
                    sock.recvfrom(4096)
                else:
                    sock.accept()[0].close()
            except OSError:  # closed
                return
            self.seen.append(kind)

    def close(self):
        self.udp.close()
        self.tcp.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_name_pki(str(tmp_path_factory.mktemp("dot-pki")), AUTH_NAME)


@pytest.fixture(scope="module")
def upstream(lab, pki, tmp_path_factory):
    """Unbound as the lab's reference resolver, but on DoT only (853), logging questions."""
    tmp = tmp_path_factory.mktemp("unbound-dot")
    conf = open(lab.unbound_conf).read()
    conf = re.sub(r"interface: \S+", "interface: %s@853" % UPSTREAM, conf)
    conf = re.sub(r'(directory|pidfile|logfile): "[^"]*/unbound(/[^"]*)?"',
                  lambda m: '%s: "%s%s"' % (m.group(1), tmp, m.group(2) or ""), conf)
    conf = conf.replace("server:\n", 'server:\n  tls-port: 853\n  tls-service-key: "%s"\n'
                        '  tls-service-pem: "%s"\n  log-queries: yes\n'
                        % (pki["key"], pki["server"]), 1)
    path = tmp / "unbound.conf"
    path.write_text(conf)
    catcher = PlainCatcher(UPSTREAM)
    proc = subprocess.Popen(["unbound", "-d", "-c", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            socket.create_connection((UPSTREAM, 853), timeout=0.2).close()
            break
        except OSError:  # not up yet
            time.sleep(0.05)
    proc.log = tmp / "unbound.log"
    proc.catcher = catcher
    yield proc
    proc.terminate()
    proc.wait(5)
    catcher.close()


def questions_logged(upstream):
    """The questions Unbound received (log-queries: `info: ADDR NAME TYPE IN`)."""
    text = open(upstream.log).read() if os.path.exists(upstream.log) else ""
    return re.findall(r"info: (127\.\S+) (\S+) (\S+) IN", text)


def dot_forwarder(lab, pki, tmp_path_factory, addr, name, ca):
    extra = '\n[[forward]]\nzone = "."\ntls = true\nservers = ["%s#%s"]\n' % (UPSTREAM, name)
    return OwnPort53d(lab, tmp_path_factory.mktemp("dot-" + addr), addr, extra=extra,
                      resolver='tls_ca_file = "%s"\n' % ca, log_level="debug",
                      name="dot-forwarder")


@pytest.fixture(scope="module")
def forwarder(lab, upstream, pki, tmp_path_factory):
    with dot_forwarder(lab, pki, tmp_path_factory, FORWARDER, AUTH_NAME, pki["ca"]) as p:
        yield p


@port53d_only
@pytest.mark.parametrize("case_id", CASES)
def test_answers_over_dot_are_validated_here(forwarder, cases, case_id):
    c = cases[case_id]
    _, r = ask(FORWARDER, c["qname"], c["qtype"])
    assert rcode_text(r) == c["rcode"], "%s (%s)\n%s" % (case_id, c["why"], r)
    assert answer_set(r) == c["answer"], r
    assert bool(r.flags & dns.flags.AD) == c["secure"], r


@port53d_only
def test_a_secure_name_over_dot_has_ad_and_reached_unbound_over_tls(forwarder, upstream, cases):
    c = cases["a"]
    _, r = ask(FORWARDER, c["qname"], c["qtype"])
    assert rcode_text(r) == "NOERROR" and r.flags & dns.flags.AD, r
    # Unbound got it, and it listens on DoT only: it came over TLS.
    assert any(q[1].lower() == c["qname"].lower() for q in questions_logged(upstream))
    assert upstream.catcher.seen == []
    # Asked on 853, the DoT port, when no @PORT is given.
    assert re.findall(r" ask (\S+) ", forwarder.log_text())[-1] == UPSTREAM + ":853"


@port53d_only
@pytest.mark.parametrize("addr,name,ca", [(WRONG_NAME, "other.lab.test", "ca"),
                                          (WRONG_CA, AUTH_NAME, "other")])
def test_dot_with_an_unverifiable_upstream_fails_closed(lab, upstream, pki, tmp_path_factory,
                                                        cases, addr, name, ca):
    before = len(questions_logged(upstream))
    with dot_forwarder(lab, pki, tmp_path_factory, addr, name, pki[ca]) as p:
        c = cases["a"]
        _, r = ask(addr, c["qname"], c["qtype"])
        assert rcode_text(r) == "SERVFAIL", r
        log = p.log_text()
    assert "DoT to %s:853 (%s) failed" % (UPSTREAM, name) in log, log
    # Nothing reached Unbound over TLS, nothing went out in plain DNS.
    assert len(questions_logged(upstream)) == before
    assert upstream.catcher.seen == []
