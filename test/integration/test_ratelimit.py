"""Rate limits (issue 5): a UDP flood from one client prefix is cut down, with every
Nth limited answer "slipped" as TC, while another client's queries keep succeeding;
TCP connections are capped per client."""
import socket
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode

from conftest import OwnPort53d, port53d_only

ADDR = "127.53.0.12"


@port53d_only
def test_flood_is_rate_limited_and_others_still_served(lab, tmp_path):
    extra = "\n[ratelimit]\nresponses_per_second = 20\nslip = 2\n"
    with OwnPort53d(lab, tmp_path, ADDR, extra=extra):
        flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        flood.bind(("127.66.6.6", 0))
        flood.settimeout(0.5)
        query = dns.message.make_query("www.sec.lab.", "A")
        sent = 400
        start = time.time()
        for i in range(sent):  # bounded: 400 queries in well under a second
            query.id = i
            flood.sendto(query.to_wire(), (ADDR, 53))
        full = truncated = 0
        last = start
        try:
            while True:
                reply = dns.message.from_wire(flood.recv(4096))
                last = time.time()
                if reply.flags & dns.flags.TC:
                    truncated += 1
                else:
                    full += 1
        except socket.timeout:
            pass
        # 20 a second plus one second's burst, over however long the flood took to serve
        allowed = 20 * (1 + (last - start)) + 5
        assert full <= allowed, "rate limit let %d of %d through in %.1f s" % (full, sent, last - start)
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


def works(s):
    wire = dns.message.make_query("www.sec.lab.", "A").to_wire()
    try:
        s.sendall(len(wire).to_bytes(2, "big") + wire)
        return len(s.recv(2)) == 2
    except (ConnectionError, socket.timeout):
        return False


@port53d_only
def test_tcp_connections_are_capped_per_client(lab, tmp_path):
    conns = []

    def connect(source):
        s = socket.create_connection((ADDR, 53), timeout=2, source_address=(source, 0))
        conns.append(s)
        return s

    try:
        with OwnPort53d(lab, tmp_path, ADDR, server="tcp_max_connections_per_client = 2\n"):
            # Three connections from one client: the kernel accepts all, port53d keeps two.
            # Workers accept in parallel, so which one is closed is not known in advance.
            mine = [connect("127.89.0.1") for _ in range(3)]
            time.sleep(0.2)
            assert sorted(works(s) for s in mine) == [False, True, True]
            assert works(connect("127.89.0.2"))  # another client has its own share
    finally:
        for s in conns:
            s.close()


@port53d_only
def test_tcp_client_that_never_reads_is_cut_off(lab, tmp_path):
    """Pipelining big answers to a client that never reads must not queue memory without
    end: the connection is closed once about 1 MiB waits, and others are still served."""
    query = dns.message.make_query("big.sec.lab.", "TXT")
    wire = query.to_wire()
    with OwnPort53d(lab, tmp_path, ADDR):
        dns.query.tcp(query, ADDR, timeout=5)  # warm: every later answer is a cache hit
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((ADDR, 53))
        s.settimeout(10)
        sent = 0
        try:
            for _ in range(5000):  # 5000 answers of 3.4 kB: 17 MB if all were queued
                s.sendall(len(wire).to_bytes(2, "big") + wire)
                sent += 1
        except (ConnectionError, socket.timeout):
            pass
        time.sleep(1)
        received = 0
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += len(chunk)
        except (ConnectionError, socket.timeout):
            pass
        s.close()
        assert received < sent * 3400, "all %d answers were kept for a client that never read" % sent
        assert dns.query.udp(dns.message.make_query("www.sec.lab.", "A"), ADDR,
                             timeout=5).rcode() == dns.rcode.NOERROR
