"""Tunnelling detection (issue 5): a client sending names with long encoded labels is
flagged in the log, and refused under a configured domain; other clients are not."""
import base64
import os
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode

from conftest import PORT53D, port53d_only

ADDR = "127.53.0.13"


@port53d_only
def test_tunnel_pattern_is_flagged_and_refused(lab, tmp_path):
    text = open(lab.port53_toml).read().replace('listen = ["127.53.0.1:53"]',
                                                'listen = ["%s:53"]' % ADDR)
    text += '\n[tunnel]\nrefuse_domains = ["wild.example."]\n'
    conf = tmp_path / "tunnel.toml"
    conf.write_text(text)
    log = tmp_path / "tunnel.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([PORT53D, "-c", str(conf)], stdout=out, stderr=out)
    try:
        for _ in range(100):
            try:
                dns.query.udp(dns.message.make_query("lab.", "SOA"), ADDR, timeout=0.2)
                break
            except (OSError, dns.exception.Timeout):
                time.sleep(0.05)

        def ask(name, source):
            return dns.query.udp(dns.message.make_query(name, "A"), ADDR, timeout=5,
                                 source=source)

        chunk = base64.b32encode(os.urandom(30)).decode().rstrip("=").lower()  # 48 chars
        # Exfiltration-looking names under the wildcard zones: they resolve, but are flagged.
        flagged = ask("%s.wild.sec.lab." % chunk, "127.88.0.1")
        assert flagged.rcode() == dns.rcode.NOERROR
        refused = ask("%s.wild.example." % chunk, "127.88.0.1")
        assert refused.rcode() == dns.rcode.REFUSED
        # ordinary names from another client are untouched
        assert ask("plain-host.wild.example.", "127.88.0.2").rcode() == dns.rcode.NOERROR
    finally:
        proc.terminate()
        proc.wait(5)
    text = open(log).read()
    assert "possible DNS tunnel: client 127.88.0.1" in text
    assert "long high-entropy label" in text
    assert "127.88.0.2" not in text
