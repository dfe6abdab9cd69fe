"""Tunnelling detection (issue 5): a client sending names with long encoded labels is
flagged in the log, and refused under a configured domain; other clients are not."""
import base64
import os

import dns.message
import dns.query
import dns.rcode

from conftest import OwnPort53d, port53d_only

ADDR = "127.53.0.13"


def ask(name, source):
    return dns.query.udp(dns.message.make_query(name, "A"), ADDR, timeout=5, source=source)


@port53d_only
def test_tunnel_pattern_is_flagged_and_refused(lab, tmp_path):
    daemon = OwnPort53d(lab, tmp_path, ADDR, extra='\n[tunnel]\nrefuse_domains = ["wild.example."]\n')
    with daemon:
        chunk = base64.b32encode(os.urandom(30)).decode().rstrip("=").lower()  # 48 chars
        # Exfiltration-looking names under the wildcard zones: they resolve, but are flagged.
        assert ask("%s.wild.sec.lab." % chunk, "127.88.0.1").rcode() == dns.rcode.NOERROR
        assert ask("%s.wild.example." % chunk, "127.88.0.1").rcode() == dns.rcode.REFUSED
        # ordinary names from another client are untouched
        assert ask("plain-host.wild.example.", "127.88.0.2").rcode() == dns.rcode.NOERROR
    text = daemon.log_text()
    assert "security: tunnel-suspect client=127.88.0.1" in text
    assert "long high-entropy label" in text
    assert "127.88.0.2" not in text
