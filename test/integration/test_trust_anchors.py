"""RFC 5011 trust-anchor upkeep (issue 12) in the lab, with hold-downs of seconds: the root
publishes a second KSK signed by the first (tools/lab/root_roll.py); port53d learns it, trusts
it after the add hold-down, and when the root is then signed by the new key only (the old one
revoked, self-signed) it keeps validating (AD) without a restart, while a port53d that kept
only the configured anchor finds the root bogus. The state file carries the new anchor over
a restart; a corrupt one falls back to the configured anchor with a warning."""
import os
import re
import subprocess
import time

import dns.dnssec
import dns.flags
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from dnsclient import ask, rcode_text
from root_roll import RootRoll

ADDR, PLAIN = "127.53.0.80", "127.53.0.81"
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")
HOLDDOWN = 2  # seconds, add and remove


def tag(rdata_text):
    rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, rdata_text)
    return dns.dnssec.key_id(rd)


def revoked_tag(rdata_text):
    flags, rest = rdata_text.split(None, 1)
    return tag("%d %s" % (int(flags) | 0x80, rest))


def anchors(sock):
    r = subprocess.run([CTL, "-s", sock, "trust-anchors"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r
    keys = {int(t): s for t, s in re.findall(r"^key (\d+) alg \d+ (\S+)", r.stdout, re.M)}
    return keys, r.stdout


def wait_for(sock, want, timeout=20):
    deadline = time.time() + timeout
    while True:
        keys, text = anchors(sock)
        if want(keys):
            return keys, text
        if time.time() > deadline:
            pytest.fail("trust anchors never became as expected:\n" + text, pytrace=False)
        time.sleep(0.2)


def lookup(addr, name="www.sec.lab."):
    """rcode and AD of a signed name's answer."""
    _, r = ask(addr, name, "A")
    return rcode_text(r), bool(r.flags & dns.flags.AD)


@port53d_only
def test_root_key_roll_with_short_holddowns(lab, tmp_path):
    state, sock = tmp_path / "root.state", str(tmp_path / "control.sock")
    resolver = ('trust_anchor_state = "%s"\ntrust_anchor_add_holddown = %d\n'
                'trust_anchor_del_holddown = %d\ntrust_anchor_refresh = 1\n'
                % (state, HOLDDOWN, HOLDDOWN))
    own = OwnPort53d(lab, tmp_path, ADDR, resolver=resolver,
                     extra='\n[control]\nsocket = "%s"\n' % sock)
    old_text = open(lab.path("root.dnskey")).read().split("DNSKEY", 1)[1]
    old, revoked = tag(old_text), revoked_tag(old_text)
    roll = RootRoll(lab, tmp_path)
    try:
        with own:
            wait_for(sock, lambda k: k == {old: "valid"})
            assert lookup(ADDR) == ("NOERROR", True)
            assert "zone .\nkey valid " in state.read_text()

            new_text = roll.add_new_ksk()
            new = tag(new_text)
            keys, text = wait_for(sock, lambda k: k.get(new) == "add-pending")
            pending_at = time.time()
            assert keys[old] == "valid", text
            assert re.search(r"^key %d alg 8 add-pending since \S+ next valid at \S+ \(" % new,
                             text, re.M), text
            wait_for(sock, lambda k: k.get(new) == "valid")
            assert time.time() - pending_at >= HOLDDOWN - 1.0, "trusted before the hold-down"

            roll.switch_to_new_ksk()
            keys, text = wait_for(sock, lambda k: k.get(revoked) == "revoked")
            assert keys == {revoked: "revoked", new: "valid"}, text
            subprocess.run([CTL, "-s", sock, "flush-all"], check=True, capture_output=True)
            assert lookup(ADDR) == ("NOERROR", True), "the new root key does not validate"
            # The control: the configured anchor alone no longer validates the root.
            with OwnPort53d(lab, tmp_path, PLAIN, name="plain"):
                assert lookup(PLAIN)[0] == "SERVFAIL"
            wait_for(sock, lambda k: k.get(revoked) == "removed")
            assert "key valid" in state.read_text()

        # Restarted: the state file, not the configured (now revoked) key, is the anchor.
        with own:
            keys, text = anchors(sock)
            assert keys.get(new) == "valid", text
            assert lookup(ADDR) == ("NOERROR", True)

        # A corrupt state file: ignored with a warning, the configured anchor holds (and
        # fails, the root being signed by the new key only).
        state.write_text("zone .\nkey valid 12 zz\n")
        with own:
            assert "ignored, using the configured anchor" in own.log_text()
            assert lookup(ADDR)[0] == "SERVFAIL"
    finally:
        roll.restore()
    # The lab as built again: the old anchor validates.
    with OwnPort53d(lab, tmp_path, PLAIN, name="plain-after"):
        assert lookup(PLAIN) == ("NOERROR", True)
