"""A real browser resolves a lab name through port53's DoH: headless Chromium
with DnsOverHttpsMode "secure" (no fallback to plain DNS) and our test CA
trusted loads http://web.sec.lab:8080/, a page on loopback that only the lab
knows. See /work/shared/notes/testing-on-loopback.md for the why of each flag."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import port53d_only
from encrypted import DOH_PORT, ENC_ADDR
from test_encrypted import enc, pki, web_server  # noqa: F401  (module fixtures)

pytestmark = port53d_only
CHROMIUM = "/usr/lib/chromium/chromium"
POLICY_DIR = "/etc/chromium/policies/managed"
POLICY = os.path.join(POLICY_DIR, "port53-doh-test.json")


@pytest.fixture
def chromium_profile(pki):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Chromium is not installed (Debian package 'chromium'; "
                    "tools/install-deps.sh test installs it)")
    if not shutil.which("certutil"):
        pytest.skip("certutil missing (Debian package 'libnss3-tools')")
    if os.path.exists(POLICY):
        pytest.fail("%s exists: another run in progress or a stale file" % POLICY)
    home = tempfile.mkdtemp(prefix="port53-chromium-")
    nssdb = "sql:" + os.path.join(home, ".pki", "nssdb")
    os.makedirs(os.path.join(home, ".pki", "nssdb"))
    subprocess.run(["certutil", "-d", nssdb, "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", nssdb, "-A", "-t", "C,,", "-n", "port53-test-ca",
                    "-i", pki["ca"]], check=True)
    os.makedirs(POLICY_DIR, exist_ok=True)
    with open(POLICY, "w") as f:
        json.dump({"DnsOverHttpsMode": "secure",
                   "DnsOverHttpsTemplates": "https://%s:%d/dns-query" % (ENC_ADDR, DOH_PORT),
                   "BuiltInDnsClientEnabled": True,
                   "AlternateErrorPagesEnabled": False}, f)
    try:
        yield home
    finally:
        os.unlink(POLICY)
        shutil.rmtree(home, ignore_errors=True)


def test_chromium_loads_lab_page_through_doh(enc, web_server, chromium_profile):  # noqa: F811
    home = chromium_profile
    url = "http://web.sec.lab:%d/" % web_server.port
    netlog = os.path.join(home, "netlog.json")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + os.path.join(home, "profile"),
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE web.sec.lab, EXCLUDE %s" % ENC_ADDR,
           "--log-net-log=" + netlog, "--dump-dom", url]
    env = dict(os.environ, HOME=home)
    p = subprocess.run(cmd, capture_output=True, timeout=90, env=env)
    out = p.stdout.decode(errors="replace")
    assert web_server.marker in out, "page not loaded:\n%s\n%s" % (out[-2000:],
                                                                   p.stderr.decode()[-3000:])
    # the net log names the DoH server that answered web.sec.lab
    log = open(netlog, errors="replace").read()
    assert "%s:%d/dns-query" % (ENC_ADDR, DOH_PORT) in log
