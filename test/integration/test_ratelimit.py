"""Rate limits on UDP (issue 5): a flood from one client prefix is cut down, with every
Nth limited answer "slipped" as TC, while another client's queries keep succeeding."""
import socket
import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import PORT53D, port53d_only

ADDR = "127.53.0.12"


@pytest.fixture
def limited(lab, tmp_path):
    text = open(lab.port53_toml).read().replace('listen = ["127.53.0.1:53"]',
                                                'listen = ["%s:53"]' % ADDR)
    text += "\n[ratelimit]\nresponses_per_second = 20\nslip = 2\n"
    conf = tmp_path / "rl.toml"
    conf.write_text(text)
    proc = subprocess.Popen([PORT53D, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=0.2,
                          source="127.0.0.1")
            break
        except (OSError, dns.exception.Timeout):
            time.sleep(0.05)
    yield
    proc.terminate()
    proc.wait(5)


@port53d_only
def test_flood_is_rate_limited_and_others_still_served(limited):
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood.bind(("127.66.6.6", 0))
    flood.settimeout(0.5)
    query = dns.message.make_query("www.sec.lab.", "A")
    sent = 400
    for i in range(sent):  # bounded: 400 queries in well under a second
        query.id = i
        flood.sendto(query.to_wire(), (ADDR, 53))
    full = truncated = 0
    try:
        while True:
            reply = dns.message.from_wire(flood.recv(4096))
            if reply.flags & dns.flags.TC:
                truncated += 1
            else:
                full += 1
    except socket.timeout:
        pass
    assert full <= 40, "rate limit let %d of %d through" % (full, sent)
    assert truncated > 0, "no slipped (TC) answers"
    assert full + truncated < sent
    # a different client prefix is unaffected, during and after the flood
    other = dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=2,
                          source="127.77.0.1")
    assert other.rcode() == dns.rcode.NOERROR and other.answer
    # and the flooder itself gets through over TCP, as slip intends
    tcp = dns.query.tcp(dns.message.make_query("www.sec.lab.", "A"), ADDR, timeout=2,
                        source="127.66.6.6")
    assert tcp.rcode() == dns.rcode.NOERROR and tcp.answer


@port53d_only
def test_tcp_connections_are_capped_per_client(lab, tmp_path):
    text = open(lab.port53_toml).read().replace('listen = ["127.53.0.1:53"]',
                                                'listen = ["%s:53"]' % ADDR)
    text = text.replace("[server]\n", "[server]\ntcp_max_connections_per_client = 2\n", 1)
    conf = tmp_path / "conn.toml"
    conf.write_text(text)
    proc = subprocess.Popen([PORT53D, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    conns = []
    try:
        for _ in range(100):
            try:
                dns.query.udp(dns.message.make_query("lab.", "SOA"), ADDR, timeout=0.2)
                break
            except (OSError, dns.exception.Timeout):
                time.sleep(0.05)

        def connect(source):
            s = socket.create_connection((ADDR, 53), timeout=2, source_address=(source, 0))
            conns.append(s)
            return s

        def works(s):
            wire = dns.message.make_query("www.sec.lab.", "A").to_wire()
            try:
                s.sendall(len(wire).to_bytes(2, "big") + wire)
                return len(s.recv(2)) == 2
            except (ConnectionError, socket.timeout):
                return False

        first, second = connect("127.89.0.1"), connect("127.89.0.1")
        third = connect("127.89.0.1")  # accepted by the kernel, then closed by port53d
        assert works(first) and works(second)
        assert not works(third)
        assert works(connect("127.89.0.2"))  # another client has its own share
    finally:
        for s in conns:
            s.close()
        proc.terminate()
        proc.wait(5)
