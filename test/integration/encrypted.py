"""Helpers for the DoT/DoH tests: a test PKI made with openssl, a port53d
with the [tls] section on its own address, raw TLS/HTTP clients.
Only loopback addresses, only IP literals: nothing here does a name lookup."""
import os
import socket
import ssl
import struct
import subprocess
import time

import dns.message

from resolver import Resolver

ENC_ADDR = "127.53.0.3"     # port53d with DoT/DoH (own address: no clash with the
DOT_PORT, DOH_PORT, HTTP_PORT = 853, 443, 8053   # shared resolver on 127.53.0.1)
IDLE_MS = 3000


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d, ip=ENC_ADDR):
    """A test CA and two server certificates for `ip` (IP SAN): cert 1 and the
    replacement for the SIGHUP test. Returns a dict of paths."""
    os.makedirs(d, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=port53 test CA",
            cwd=d)
    for n in ("1", "2"):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "server%s.key" % n, "-out", "server%s.csr" % n,
                "-subj", "/CN=port53 test server %s" % n, cwd=d)
        with open(os.path.join(d, "ext%s.cnf" % n), "w") as f:
            f.write("subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n"
                    "basicConstraints=CA:FALSE\n" % ip)
        openssl("x509", "-req", "-in", "server%s.csr" % n, "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", "server%s.pem" % n,
                "-extfile", "ext%s.cnf" % n, cwd=d)
    p = lambda name: os.path.join(d, name)  # noqa: E731
    return {"dir": d, "ca": p("ca.pem"), "cert": p("server.pem"), "key": p("server.key"),
            "cert1": p("server1.pem"), "key1": p("server1.key"),
            "cert2": p("server2.pem"), "key2": p("server2.key")}


def make_name_pki(d, name):
    """A test CA, a second CA that signed nothing, and a server certificate naming `name`
    (a DNS SAN, as RFC 8310 authentication and HTTPS clients want)."""
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "other"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
                "-subj", "/CN=port53 test " + ca, cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=" + name, cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n" % name)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "ext.cnf", cwd=d)
    return {k: os.path.join(d, k + ".pem") for k in ("ca", "other", "server")} | {
        "key": os.path.join(d, "server.key")}


def install_cert(pki, n):
    """Copies certificate/key `n` to the paths the daemon is configured with."""
    for src, dst in ((pki["cert%s" % n], pki["cert"]), (pki["key%s" % n], pki["key"])):
        with open(src, "rb") as f, open(dst + ".tmp", "wb") as g:
            g.write(f.read())
        os.replace(dst + ".tmp", dst)


def enc_config(lab, pki, extra=""):
    base = open(lab.port53_toml).read()
    base = base.replace('listen = ["127.53.0.1:53"]', 'listen = ["%s:53"]' % ENC_ADDR)
    assert ENC_ADDR in base, "lab config changed shape: cannot move the listener"
    return base + """
[tls]
certificate = "{cert}"
private_key = "{key}"
dot_listen = ["{a}:{dot}"]
doh_listen = ["{a}:{doh}"]
doh_http_listen = ["{a}:{http}"]
trusted_proxies = ["127.0.0.1"]
idle_timeout_ms = {idle}
doh_max_streams = 100
{extra}""".format(cert=pki["cert"], key=pki["key"], a=ENC_ADDR, dot=DOT_PORT, doh=DOH_PORT,
                  http=HTTP_PORT, idle=IDLE_MS, extra=extra)


class EncryptedResolver(Resolver):
    """port53d on ENC_ADDR with its own config file."""

    def __init__(self, lab, binary, config_path):
        super().__init__(lab, "port53d", binary)
        self.addr, self.config_path = ENC_ADDR, config_path
        self.log_path = lab.path("port53d-encrypted.out")

    def command(self):
        return [self.binary, "-c", self.config_path]

    def log_text(self):
        return open(self.log_path, errors="replace").read()


def tls_context(pki, alpn=None, max_version=None):
    ctx = ssl.create_default_context(cafile=pki["ca"])
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def tls_connect(pki, port, alpn=None, max_version=None, session=None, timeout=5.0, ctx=None):
    raw = socket.create_connection((ENC_ADDR, port), timeout=timeout)
    ctx = ctx or tls_context(pki, alpn, max_version)
    # server_hostname is the IP literal: checked against the IP SAN, never looked up
    return ctx.wrap_socket(raw, server_hostname=ENC_ADDR, session=session)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def dot_send(sock, msg):
    wire = msg.to_wire()
    sock.sendall(struct.pack(">H", len(wire)) + wire)


def dot_recv(sock):
    (n,) = struct.unpack(">H", recv_exact(sock, 2))
    return recv_exact(sock, n)


def dot_query(sock, msg):
    dot_send(sock, msg)
    return dns.message.from_wire(dot_recv(sock))


def curl(*args, timeout=20):
    """curl with the test CA; never resolves a name (IP URLs, --resolve or --doh-url)."""
    cmd = ["curl", "-sS", "--max-time", "10", "--noproxy", "*", *args]
    return subprocess.run(cmd, capture_output=True, timeout=timeout)


def wait_closed(sock, timeout):
    """Reads (and drops) until the peer closes or resets; False if still open at timeout."""
    deadline = time.time() + timeout
    sock.settimeout(0.5)
    while time.time() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, ssl.SSLError, OSError):
            return True
    return False


def tls_section(cert, key, addr, dot_port=853, doh_port=443):
    """A [tls] section: DoT and DoH on `addr` with this certificate and key."""
    return ('\n[tls]\ncertificate = "%s"\nprivate_key = "%s"\ndot_listen = ["%s:%d"]\n'
            'doh_listen = ["%s:%d"]\n' % (cert, key, addr, dot_port, addr, doh_port))
