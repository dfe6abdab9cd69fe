"""Reload without an outage (issue 12): port53-ctl reload and SIGHUP read the configuration
file again. New local data answers and removed data no longer does, a new ACL rule applies,
a new listen address is opened and the removed one closed, while a TCP connection opened
before keeps answering and a public answer cached before is still served from the cache (no
upstream query). A bad file is refused with its file:line and the old settings keep
serving; a setting that needs a restart is reported and keeps its old value."""
import os
import re
import signal
import socket
import struct
import subprocess
import time

import dns.message
import dns.rcode
import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from dnsclient import ask, answer_set, rcode_text

OLD, NEW, STRANGER = "127.53.0.70", "127.53.0.71", "127.53.0.73"
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")
ONE = '"reload-one.lab. 300 IN A 192.0.2.1"'
TWO = '"reload-two.lab. 300 IN A 192.0.2.2"'


def config(own, listen, data, extra_server="", size_mb=64, threads=2):
    """The running file with `listen`, [local] data, cache size, threads and [server] lines
    swapped."""
    text = own.base.replace('listen = ["%s:53"]' % OLD, "listen = [%s]" % listen)
    text = text.replace("size_mb = 64", "size_mb = %d" % size_mb)
    text = text.replace("threads = 2", "threads = %d" % threads)
    text = text.replace("[server]\n", "[server]\n" + extra_server, 1)
    return text + "\n[local]\ndata = [%s]\n" % data


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reload")
    sock = tmp / "control.sock"
    with OwnPort53d(lab, tmp, OLD, log_level="debug",
                    extra='\n[control]\nsocket = "%s"\n[local]\ndata = [%s]\n' % (sock, ONE)) as p:
        p.sock = str(sock)
        p.base = p.conf.read_text().split("\n[local]\n")[0]
        yield p


def ctl(own, *args):
    return subprocess.run([CTL, "-s", own.sock, *args], capture_output=True, text=True,
                          timeout=10)


def tcp_ask(s, name):
    """One query over an open TCP connection (RFC 7766 framing)."""
    wire = dns.message.make_query(name, "A").to_wire()
    s.sendall(struct.pack("!H", len(wire)) + wire)
    head = s.recv(2, socket.MSG_WAITALL)
    return dns.message.from_wire(s.recv(struct.unpack("!H", head)[0], socket.MSG_WAITALL))


def answers(addr, name, source=None):
    return answer_set(ask(addr, name, "A", source=source)[1])


@port53d_only
def test_reload_swaps_data_acl_listeners_and_keeps_cache_and_connections(own):
    assert answers(OLD, "reload-one.lab.") == ["reload-one.lab. A 192.0.2.1"]
    assert rcode_text(ask(OLD, "www.sec.lab.", "A", source=STRANGER)[1]) == "NOERROR"
    asked = len(own.asked_upstream("www.sec.lab.", 1))
    assert asked >= 1
    conn = socket.create_connection((OLD, 53), timeout=3)
    assert tcp_ask(conn, "reload-one.lab.").answer
    own.conf.write_text(config(own, '"%s:53"' % NEW, TWO, size_mb=2,
                               extra_server='access_control = ["127.0.0.0/8 allow", '
                                            '"%s/32 refuse"]\n' % STRANGER))
    r = ctl(own, "reload")
    assert r.returncode == 0, r
    assert "1 address(es) opened, 1 closed" in r.stdout, r.stdout
    assert answers(NEW, "reload-two.lab.") == ["reload-two.lab. A 192.0.2.2"]
    assert "192.0.2.1" not in str(answers(NEW, "reload-one.lab."))
    assert rcode_text(ask(NEW, "www.sec.lab.", "A", source=STRANGER)[1]) == "REFUSED"
    # The public answer cached before the reload: from the cache, no upstream query.
    assert rcode_text(ask(NEW, "www.sec.lab.", "A")[1]) == "NOERROR"
    assert len(own.asked_upstream("www.sec.lab.", 1)) == asked
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((OLD, 53), timeout=3)
    assert tcp_ask(conn, "reload-two.lab.").answer, "the open connection stopped answering"
    conn.close()
    stats = ctl(own, "stats").stdout
    size = re.search(r'^port53_cache_bytes\{cache="answers"\} (\d+)$', stats, re.M)
    assert size and int(size.group(1)) <= 1 << 20, stats


@port53d_only
def test_bad_file_is_refused_with_its_line_and_the_old_one_serves(own):
    good = config(own, '"%s:53"' % NEW, TWO, size_mb=2)
    own.conf.write_text(good)
    assert ctl(own, "reload").returncode == 0
    own.conf.write_text(good.replace("size_mb = 2", "size_mb = 0"))
    r = ctl(own, "reload")
    assert r.returncode == 1, r
    assert re.search(r"%s:\d+: " % re.escape(str(own.conf)), r.stderr), r.stderr
    assert answers(NEW, "reload-two.lab.") == ["reload-two.lab. A 192.0.2.2"]
    own.proc.send_signal(signal.SIGHUP)
    for _ in range(50):
        if re.search(r"SIGHUP: configuration refused.*%s:\d+" % re.escape(str(own.conf)),
                     own.log_text()):
            break
        time.sleep(0.05)
    else:
        pytest.fail("SIGHUP did not log the refusal:\n" + own.log_text()[-2000:])
    assert answers(NEW, "reload-two.lab.") == ["reload-two.lab. A 192.0.2.2"]


@port53d_only
def test_sighup_reloads_and_reports_what_needs_a_restart(own):
    three = '"reload-three.lab. 300 IN A 192.0.2.3"'
    own.conf.write_text(config(own, '"%s:53"' % NEW, three, size_mb=2, threads=1))
    own.proc.send_signal(signal.SIGHUP)
    for _ in range(50):
        if answers(NEW, "reload-three.lab.") == ["reload-three.lab. A 192.0.2.3"]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("SIGHUP did not reload:\n" + own.log_text()[-2000:])
    assert "server.threads changed: needs a restart" in own.log_text()
    assert re.search(r"^workers 2$", ctl(own, "status").stdout, re.M)


VIEWED, VIEW_CLIENT = "127.53.0.72", "127.53.0.74"
VIEW = """
[[view]]
name = "forwarded"
clients = ["%s/32"]
[[view.stub]]
zone = "sec.lab."
servers = ["127.100.10.1"]
""" % VIEW_CLIENT


def dumped_records(sock, path):
    res = subprocess.run([CTL, "-s", sock, "dump-cache", str(path)], capture_output=True,
                         text=True, timeout=10)
    assert res.returncode == 0, res.stdout + res.stderr
    return int(re.search(r"(\d+) records", res.stdout).group(1))


@port53d_only
def test_a_view_that_keeps_its_routes_keeps_its_rrset_cache(lab, tmp_path):
    """A view with a stub zone of its own has an RRset cache of its own: a reload that does
    not change the view's routes keeps it (and what it holds); one that does, empties it."""
    sock = tmp_path / "control.sock"
    extra = '\n[control]\nsocket = "%s"\n[local]\ndata = [%s]\n' % (sock, ONE)
    with OwnPort53d(lab, tmp_path, VIEWED, extra=extra + VIEW) as p:
        r = ask(VIEWED, "www.sec.lab.", "A", source=VIEW_CLIENT)[1]
        assert answer_set(r) == [
            "www.sec.lab. A 192.0.2.1"], (str(r), p.log_text()[-3000:])
        before = dumped_records(str(sock), tmp_path / "before.dump")
        p.conf.write_text(p.conf.read_text().replace(ONE, TWO))  # the view's routes stay
        res = subprocess.run([CTL, "-s", str(sock), "reload"], capture_output=True, text=True,
                             timeout=10)
        assert res.returncode == 0, res.stdout + res.stderr
        # Nothing was asked in between: every record is still there, the view's RRsets too
        # (a new, empty cache would hold only the root it primes).
        kept = dumped_records(str(sock), tmp_path / "kept.dump")
        assert kept >= before
        assert answers(VIEWED, "reload-two.lab.") == ["reload-two.lab. A 192.0.2.2"]
        kept = dumped_records(str(sock), tmp_path / "kept.dump")
        p.conf.write_text(p.conf.read_text().replace('servers = ["127.100.10.1"]',
                                                     'servers = ["127.100.10.1@53"]'))
        res = subprocess.run([CTL, "-s", str(sock), "reload"], capture_output=True, text=True,
                             timeout=10)
        assert res.returncode == 0, res.stdout + res.stderr
        assert dumped_records(str(sock), tmp_path / "changed.dump") < kept
