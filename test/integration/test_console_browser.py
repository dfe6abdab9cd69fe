"""The web console in a real browser (issue 14): headless Chromium driven by Playwright
(test/browser/console.mjs) fails to log in with a wrong password, logs in, watches the live
numbers move while dnsperf runs, finds the name in the top names and the searched query log,
looks a name up in the cache and flushes it, sees the client profiles, blocks a name (which
dig then gets blocked) and logs out. Screenshots are kept in the test's directory."""
import base64
import hashlib
import json
import os
import subprocess

import pytest

from conftest import OwnPort53d, port53d_only
from encrypted import tls_section
from test_console import PASSWORD, make_console_pki, password_hash

pytestmark = port53d_only
ADDR = "127.53.0.57"
PORT = 8443
BROWSER_DIR = os.path.join(os.path.dirname(__file__), "..", "browser")
CHROMIUM = "/usr/lib/chromium/chromium"


def spki_hash(cert):
    """base64 SHA-256 of the certificate's public key (Chromium's SPKI pin form)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def test_chromium_logs_in_and_sees_live_numbers(lab, tmp_path):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Chromium is not installed (tools/install-deps.sh test installs it)")
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        pytest.skip("playwright-core missing: (cd test/browser && npm ci)")
    pki = make_console_pki(str(tmp_path / "pki"), ADDR)
    extra = tls_section(pki["server-ip"], pki["key"], ADDR) + """[console]
listen = "{a}:{port}"
password_hash = "{hash}"
state_file = "{state}"
""".format(a=ADDR, port=PORT, hash=password_hash(PASSWORD),
           state=tmp_path / "console-state.toml")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with OwnPort53d(lab, tmp_path, ADDR, extra=extra, name="console-browser"):
        # dnsperf keeps queries flowing (200/s, at most 60 s) while the browser watches.
        queries = tmp_path / "queries.txt"
        queries.write_text("www.sec.lab A\nkept.wild.sec.lab A\n")
        load = subprocess.Popen(["dnsperf", "-s", ADDR, "-d", str(queries), "-Q", "200",
                                 "-l", "60", "-q", "10"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            res = subprocess.run(
                ["node", "console.mjs", "https://%s:%d/" % (ADDR, PORT), PASSWORD,
                 spki_hash(pki["server-ip"]), str(shots)],
                cwd=BROWSER_DIR, capture_output=True, text=True, timeout=120,
                env=dict(os.environ, HOME=str(tmp_path)))
        finally:
            load.terminate()
            load.wait(10)
        # What the browser blocked, dig is refused (NXDOMAIN with EDE 15, Blocked).
        dig = subprocess.run(["dig", "@" + ADDR, "blocked-by-browser.wild.sec.lab.", "A",
                              "+time=5", "+tries=1"], capture_output=True, text=True, timeout=15)
    assert res.returncode == 0, res.stdout + res.stderr
    seen = json.loads(res.stdout)
    assert seen["wrong_password"] == "Wrong password."
    assert int(seen["qps"].replace(",", "")) > 0
    assert seen["queries_later"] != seen["queries_first"]
    assert "NOERROR" in seen["rcodes"]
    assert seen["latency"].endswith(" ms") and seen["upstream_health"].endswith(" ms")
    assert "www.sec.lab." in seen["lookup"] and "forgotten" in seen["flush"]
    assert "www.sec.lab." in seen["top_names"] and "127.0.0.1" in seen["top_clients"]
    assert len(seen["log_rows"]) > 1 and all("www.sec.lab.A" in r and "NOERROR" in r
                                             for r in seen["log_rows"][1:]), seen
    assert "https://console.lab/dns-query" in seen["profiles"]
    assert seen["cookie_visible_to_scripts"] == ""  # HttpOnly
    assert seen["logged_out"]
    assert "blocked-by-browser.wild.sec.lab." in seen["blocked_names"]
    assert "status: NXDOMAIN" in dig.stdout and "EDE: 15 (Blocked)" in dig.stdout, dig.stdout
    assert sorted(os.listdir(shots)) == ["1-wrong-password.png", "2-overview.png",
                                         "3-cache-and-profiles.png", "4-blocked.png"]
