"""The daemon's life cycle (issue 5): privilege drop after binding port 53, and a
clean exit on SIGTERM that still answers what it took in."""
import signal
import socket
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import PORT53D, port53d_only

ADDR = "127.53.0.11"


def start(lab, tmp_path, extra_server=""):
    text = open(lab.port53_toml).read().replace('listen = ["127.53.0.1:53"]',
                                                'listen = ["%s:53"]' % ADDR)
    text = text.replace("[server]\n", "[server]\n" + extra_server, 1)
    conf = tmp_path / "daemon.toml"
    conf.write_text(text)
    proc = subprocess.Popen([PORT53D, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            dns.query.udp(dns.message.make_query("lab.", "SOA"), ADDR, timeout=0.2)
            return proc
        except (OSError, dns.exception.Timeout):
            time.sleep(0.05)
    proc.kill()
    pytest.fail("port53d did not start: %s" % proc.stderr.read().decode())


def uid_of(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("Uid:"):
            return [int(x) for x in line.split()[1:]]
    return None


@port53d_only
def test_drops_root_after_binding_port_53(lab, tmp_path):
    proc = start(lab, tmp_path, 'user = "nobody"\n')
    try:
        assert set(uid_of(proc.pid)) == {65534}  # real, effective, saved, fs
        r = dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR
    finally:
        proc.kill()
        proc.wait()


@port53d_only
def test_unknown_user_is_a_clear_error(lab, tmp_path):
    conf = tmp_path / "bad-user.toml"
    conf.write_text(open(lab.port53_toml).read().replace(
        "[server]\n", '[server]\nuser = "no-such-user-port53"\n', 1))
    res = subprocess.run([PORT53D, "-c", str(conf)], capture_output=True, text=True, timeout=10)
    assert res.returncode != 0
    assert "no-such-user-port53" in res.stderr


@port53d_only
def test_sigterm_answers_what_it_took_in_and_exits_cleanly(lab, tmp_path):
    proc = start(lab, tmp_path)
    socks = []
    for i in range(30):  # distinct names: each needs its own resolution
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.sendto(dns.message.make_query("n%d.wild.sec.lab." % i, "A").to_wire(), (ADDR, 53))
        socks.append(s)
    time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    answered = 0
    for s in socks:
        s.settimeout(5)
        try:
            reply = dns.message.from_wire(s.recv(4096))
            answered += reply.rcode() == dns.rcode.NOERROR
        except socket.timeout:
            pass
        s.close()
    assert proc.wait(10) == 0
    assert answered == len(socks)
