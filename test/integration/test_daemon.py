"""The daemon's life cycle (issue 5): privilege drop after binding port 53, and a
clean exit on SIGTERM that still answers what it took in."""
import signal
import socket
import subprocess
import time

import dns.message
import dns.query
import dns.rcode

from conftest import PORT53D, OwnPort53d, port53d_only

ADDR = "127.53.0.11"


def uid_of(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("Uid:"):
            return [int(x) for x in line.split()[1:]]
    return None


def queued_datagrams(addr, port):
    """Bytes the kernel holds for port53d's UDP sockets on addr:port, not yet read (the
    rx_queue column of /proc/net/udp: the test and the daemon share a network namespace)."""
    a = socket.inet_aton(addr)
    local = "%02X%02X%02X%02X:%04X" % (a[3], a[2], a[1], a[0], port)
    total = 0
    for line in open("/proc/net/udp").readlines()[1:]:
        fields = line.split()
        if fields[1] == local:
            total += int(fields[4].split(":")[1], 16)
    return total


@port53d_only
def test_drops_root_after_binding_port_53(lab, tmp_path):
    with OwnPort53d(lab, tmp_path, ADDR, server='user = "nobody"\n') as daemon:
        assert set(uid_of(daemon.proc.pid)) == {65534}  # real, effective, saved, fs
        r = dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR


@port53d_only
def test_unknown_user_is_a_clear_error(lab, tmp_path):
    conf = tmp_path / "bad-user.toml"
    # its own address: the lab's resolver holds the lab's, and a second daemon there is
    # refused before the user is even looked up
    conf.write_text(open(lab.port53_toml).read().replace(
        "[server]\n", '[server]\nuser = "no-such-user-port53"\n', 1).replace(
        'listen = ["127.53.0.1:53"]', 'listen = ["%s:53"]' % ADDR))
    res = subprocess.run([PORT53D, "-c", str(conf)], capture_output=True, text=True, timeout=10)
    assert res.returncode != 0
    assert "no-such-user-port53" in res.stderr


@port53d_only
def test_sigterm_answers_what_it_took_in_and_exits_cleanly(lab, tmp_path):
    daemon = OwnPort53d(lab, tmp_path, ADDR).__enter__()
    proc = daemon.proc
    socks = []
    for i in range(30):  # distinct names: each needs its own resolution
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.sendto(dns.message.make_query("n%d.wild.sec.lab." % i, "A").to_wire(), (ADDR, 53))
        socks.append(s)
    # "What it took in": on a loaded machine (CI, a sanitized build) the workers may not
    # have read every datagram yet, and those still in the kernel's queue are not taken in.
    deadline = time.monotonic() + 10
    while queued_datagrams(ADDR, 53) and time.monotonic() < deadline:
        time.sleep(0.001)
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
    log_tail = lambda: open(daemon.log).read()[-3000:]  # noqa: E731
    assert proc.wait(10) == 0, log_tail()
    assert answered == len(socks), log_tail()


@port53d_only
def test_serves_ipv6_clients(lab, tmp_path):
    """The default configuration listens on [::1]:53 too: UDP and TCP over IPv6 work."""
    daemon = OwnPort53d(lab, tmp_path, ADDR, name="v6")
    daemon.conf.write_text(daemon.conf.read_text().replace(
        'listen = ["%s:53"]' % ADDR, 'listen = ["%s:53", "[::1]:53"]' % ADDR))
    with daemon:
        q = dns.message.make_query("www.sec.lab.", "AAAA")
        assert dns.query.udp(q, "::1", timeout=5).answer[0][0].address == "2001:db8::1"
        assert dns.query.tcp(q, "::1", timeout=5).rcode() == dns.rcode.NOERROR


@port53d_only
def test_a_second_daemon_on_the_same_addresses_refuses_to_start(lab, tmp_path):
    """SO_REUSEPORT would let a second port53d bind the same addresses and silently take
    part of the traffic: it must refuse, with a message naming the address."""
    with OwnPort53d(lab, tmp_path, ADDR) as daemon:
        res = subprocess.run([PORT53D, "-c", str(daemon.conf)], capture_output=True, text=True,
                             timeout=10)
        assert res.returncode == 1
        assert "%s:53 is already in use" % ADDR in res.stderr
        r = dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR  # the first one still serves
