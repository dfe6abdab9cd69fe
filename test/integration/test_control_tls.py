"""port53-ctl over TLS with a client certificate (issue 12, like unbound-control): the
control socket's commands on [control] tls_listen. A client certificate signed by
client_ca runs commands; no certificate, a certificate of another CA, or plain TCP is
refused before any command is read (fail closed), and port53-ctl refuses a daemon whose
certificate its --ca did not sign. Without TLS options port53-ctl uses the Unix socket
as before. Certificates are made here with openssl."""
import os
import re
import socket
import ssl
import subprocess

import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from encrypted import openssl

ADDR = "127.53.0.86"
PORT = 8953
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")


def make_control_pki(d):
    """CA "ca" signs the daemon's certificate (IP SAN ADDR) and a client's; CA "other"
    signs a stranger's client certificate."""
    for ca in ("ca", "other"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
                "-subj", "/CN=port53 control " + ca, cwd=d)
    certs = (("server", "ca", "subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n" % ADDR),
             ("client", "ca", "extendedKeyUsage=clientAuth\n"),
             ("stranger", "other", "extendedKeyUsage=clientAuth\n"))
    for name, ca, ext in certs:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
        (d / (name + ".cnf")).write_text(ext)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-days", "2", "-out", name + ".pem",
                "-extfile", name + ".cnf", cwd=d)


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    d = tmp_path_factory.mktemp("control_tls")
    make_control_pki(d)
    extra = ('\n[control]\nsocket = "%s/control.sock"\ntls_listen = "%s:%d"\n'
             'server_cert = "%s/server.pem"\nserver_key = "%s/server.key"\n'
             'client_ca = "%s/ca.pem"\n' % (d, ADDR, PORT, d, d, d))
    with OwnPort53d(lab, d, ADDR, extra=extra) as p:
        p.dir, p.sock = d, str(d / "control.sock")
        yield p


def ctl_tls(own, *args, who="client", ca="ca"):
    d = own.dir
    return subprocess.run([CTL, "-s", "%s@%d" % (ADDR, PORT), "--cert", str(d / (who + ".pem")),
                           "--key", str(d / (who + ".key")), "--ca", str(d / (ca + ".pem")),
                           *args], capture_output=True, text=True, timeout=15)


def level(own):
    """The log level, asked over the Unix socket (no TLS options)."""
    r = subprocess.run([CTL, "-s", own.sock, "status"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r
    return re.search(r"^log-level (\w+)$", r.stdout, re.M).group(1)


@port53d_only
def test_a_client_certificate_of_client_ca_runs_commands(own):
    r = ctl_tls(own, "status")
    assert r.returncode == 0 and re.search(r"^version \d+\.\d+\.\d+$", r.stdout, re.M), r
    assert ctl_tls(own, "log-level", "warning").returncode == 0
    assert level(own) == "warning"
    r = ctl_tls(own, "flush", "bad..name")
    assert r.returncode == 1 and "error: not a domain name" in r.stderr, r
    assert ctl_tls(own, "log-level", "info").returncode == 0
    assert level(own) == "info"


@port53d_only
def test_a_certificate_of_another_ca_is_refused_before_the_command(own):
    r = ctl_tls(own, "log-level", "error", who="stranger")
    assert r.returncode == 2 and "TLS" in r.stderr, r
    assert level(own) == "info", "a refused client's command ran"
    assert "control TLS: refused" in own.log_text(), own.log_text()


@port53d_only
def test_no_client_certificate_is_refused(own):
    ctx = ssl.create_default_context(cafile=str(own.dir / "ca.pem"))
    answer = b""
    try:    # TLS 1.3: the client learns of the refusal (an alert or a close) only now
        with socket.create_connection((ADDR, PORT), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=ADDR) as s:
                s.sendall(b"log-level error\n")
                while chunk := s.recv(4096):
                    answer += chunk
    except (ssl.SSLError, ConnectionError):
        pass
    assert not answer.startswith(b"ok"), answer
    assert level(own) == "info", "a client without a certificate ran a command"


@port53d_only
def test_plain_tcp_gets_no_answer(own):
    with socket.create_connection((ADDR, PORT), timeout=5) as s:
        s.sendall(b"log-level error\n")
        try:
            answer = s.recv(4096)
        except ConnectionError:
            answer = b""
    assert not answer.startswith(b"ok"), answer
    assert level(own) == "info"


@port53d_only
def test_port53_ctl_refuses_a_server_its_ca_did_not_sign(own):
    r = ctl_tls(own, "status", ca="other")
    assert r.returncode == 2 and "server certificate" in r.stderr, r


@port53d_only
def test_without_tls_options_the_unix_socket_is_used(own):
    r = subprocess.run([CTL, "-c", str(own.conf), "status"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0 and "version" in r.stdout, r
    r = subprocess.run([CTL, "-s", "%s@%d" % (ADDR, PORT), "status"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2 and "TLS needs" in r.stderr, r


@port53d_only
@pytest.mark.parametrize("lines,error", [
    ('tls_listen = "127.0.0.1:8953"\nserver_cert = "{d}/server.pem"\n'
     'server_key = "{d}/server.key"\n', "needs control.server_cert, server_key and client_ca"),
    ('tls_listen = "127.0.0.1:8953"\nserver_cert = "{d}/server.pem"\n'
     'server_key = "{d}/server.key"\nclient_ca = "{d}/missing.pem"\n',
     "control.client_ca {d}/missing.pem"),
])
def test_the_tls_listener_fails_closed_in_the_config(own, tmp_path, lines, error):
    conf = tmp_path / "bad.toml"
    conf.write_text(own.conf.read_text().split("\n[control]\n")[0] + "\n[control]\n" +
                    lines.format(d=own.dir))
    r = subprocess.run([PORT53D, "--check", "-c", str(conf)], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 1 and error.format(d=own.dir) in r.stderr, r
