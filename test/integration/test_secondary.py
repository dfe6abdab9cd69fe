"""Secondary zones with TSIG (issue 11; RFC 8945, RFC 5936, RFC 1995, RFC 1996): port53d
transfers zones from an NSD primary (hmac-sha256, AXFR over several messages) and a Knot DNS primary (hmac-sha512, IXFR from its journal), answers them
authoritatively from its copy without asking anyone, follows their changes on NOTIFY,
refuses transfers and NOTIFYs that are unsigned, wrongly signed or from strangers, and
answers from its files after a restart with the primaries down, until the SOA expire."""
import base64
import os
import re
import signal
import socket
import subprocess

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.xfr
import pytest

from conftest import OwnPort53d, port53d_only, wait_for
from dnsclient import answer_set, ask, rcode_text

ADDR = "127.53.0.50"      # port53d
NSD_ADDR = "127.53.0.51"  # NSD primary of corp.internal., bad.internal. and short.internal.
KNOT_ADDR = "127.53.0.52"  # Knot primary of knot.internal.
STRANGER = "127.53.0.59"  # not a primary of anything

NSD_SECRET = base64.b64encode(os.urandom(32)).decode()
KNOT_SECRET = base64.b64encode(os.urandom(64)).decode()
WRONG_SECRET = base64.b64encode(os.urandom(32)).decode()

# Enough names that NSD sends the AXFR in several messages (NSD 4.6 signs each; RFC 8945
# §5.3.1 would let the ones between go unsigned, which the unit tests cover).
MANY = 3000


def soa(serial, refresh=3600, retry=600, expire=86400):
    return "@ 300 IN SOA ns.{z} admin.{z} %d %d %d %d 60\n" % (serial, refresh, retry, expire)


def corp_zone(serial, extra=""):
    return ("$ORIGIN corp.internal.\n" + soa(serial).format(z="corp.internal.") +
            "@ 300 IN NS ns\nns 300 IN A 192.0.2.53\nwww 300 IN A 192.0.2.80\n"
            "*.apps 300 IN A 192.0.2.81\n" +
            "".join("host%d 300 IN A 198.51.100.%d\n" % (i, i % 250 + 1) for i in range(MANY)) +
            extra)


def knot_zone(serial, extra=""):
    return ("$ORIGIN knot.internal.\n" + soa(serial).format(z="knot.internal.") +
            "@ 300 IN NS ns\nns 300 IN A 192.0.2.54\nmail 300 IN A 192.0.2.25\n" + extra)


def short_zone():
    # Refreshed every second, expired 4 seconds after the last successful refresh.
    return ("$ORIGIN short.internal.\n" +
            soa(1, refresh=1, retry=1, expire=4).format(z="short.internal.") +
            "@ 300 IN NS ns\nns 300 IN A 192.0.2.55\n")


NSD_CONF = """server:
  ip-address: {addr}
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  database: ""
  zonesdir: "{d}"
  zonelistfile: "{d}/zone.list"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  pidfile: "{d}/nsd.pid"
  logfile: "{d}/nsd.log"
  verbosity: 2
  reuseport: no
  rrl-ratelimit: 0
remote-control:
  control-enable: no
key:
  name: "nsd-key"
  algorithm: hmac-sha256
  secret: "{secret}"
"""
NSD_ZONE = """zone:
  name: "{zone}"
  zonefile: "{d}/{zone}zone"
  provide-xfr: 127.0.0.0/8 nsd-key
  notify: {port53} nsd-key
  outgoing-interface: {addr}
"""

KNOT_CONF = """server:
    rundir: "{d}"
    listen: {addr}@53
log:
  - target: "{d}/knot.log"
    any: debug
database:
    storage: "{d}"
control:
    listen: "{d}/knot.sock"
key:
  - id: knot-key
    algorithm: hmac-sha512
    secret: "{secret}"
remote:
  - id: port53
    address: {port53}@53
    key: knot-key
    via: {addr}
acl:
  - id: xfr
    address: 127.0.0.0/8
    key: knot-key
    action: transfer
template:
  - id: default
    storage: "{d}"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
zone:
  - domain: knot.internal.
    file: "{d}/knot.internal.zone"
    notify: port53
    acl: xfr
"""

PORT53 = """
[[tsig_key]]
name = "nsd-key"
algorithm = "hmac-sha256"
secret = "{nsd_secret}"

[[tsig_key]]
name = "knot-key"
algorithm = "hmac-sha512"
secret_file = "{d}/knot.secret"

[[tsig_key]]
name = "wrong-key"
algorithm = "hmac-sha256"
secret = "{wrong_secret}"

[[secondary]]
zone = "corp.internal"
primaries = ["{nsd}"]
tsig_key = "nsd-key"
file = "{d}/copies/corp.internal.zone"

[[secondary]]
zone = "knot.internal"
primaries = ["{knot}@53"]
tsig_key = "knot-key"
file = "{d}/copies/knot.internal.zone"

[[secondary]]
zone = "bad.internal"
primaries = ["{nsd}"]
tsig_key = "wrong-key"
file = "{d}/copies/bad.internal.zone"
min_refresh = 1

[[secondary]]
zone = "short.internal"
primaries = ["{nsd}"]
tsig_key = "nsd-key"
file = "{d}/copies/short.internal.zone"
min_refresh = 1
"""


class Primaries:
    """NSD and Knot DNS on their own addresses, as primaries with TSIG keys."""

    def __init__(self, tmp):
        self.nsd_dir = tmp / "nsd"
        self.knot_dir = tmp / "knot"
        self.nsd_dir.mkdir()
        self.knot_dir.mkdir()
        (self.nsd_dir / "corp.internal.zone").write_text(corp_zone(1))
        (self.nsd_dir / "short.internal.zone").write_text(short_zone())
        # bad.internal.: served with nsd-key; port53d asks with a key NSD does not know.
        (self.nsd_dir / "bad.internal.zone").write_text(
            "$ORIGIN bad.internal.\n" + soa(1).format(z="bad.internal.") + "@ 300 IN NS ns\n"
            "ns 300 IN A 192.0.2.56\n")
        conf = NSD_CONF.format(addr=NSD_ADDR, d=self.nsd_dir, secret=NSD_SECRET)
        for zone in ("corp.internal.", "bad.internal.", "short.internal."):
            conf += NSD_ZONE.format(zone=zone, d=self.nsd_dir, port53=ADDR, addr=NSD_ADDR)
        self.nsd_conf = self.nsd_dir / "nsd.conf"
        self.nsd_conf.write_text(conf)
        (self.knot_dir / "knot.internal.zone").write_text(knot_zone(1))
        self.knot_conf = self.knot_dir / "knot.conf"
        self.knot_conf.write_text(KNOT_CONF.format(d=self.knot_dir, addr=KNOT_ADDR,
                                                   secret=KNOT_SECRET, port53=ADDR))
        self.knot = None

    def start(self):
        subprocess.run(["nsd", "-c", str(self.nsd_conf)], check=True)
        self.knot = subprocess.Popen(["knotd", "-c", str(self.knot_conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for addr, zone in ((NSD_ADDR, "corp.internal."), (KNOT_ADDR, "knot.internal.")):
            wait_for(lambda: soa_serial(addr, zone) is not None, "%s serving %s" % (addr, zone))

    def nsd_pid(self):
        return int((self.nsd_dir / "nsd.pid").read_text())

    def stop(self):
        if (self.nsd_dir / "nsd.pid").exists():
            try:
                os.kill(self.nsd_pid(), signal.SIGTERM)
            except ProcessLookupError:
                pass
            wait_for(lambda: soa_serial(NSD_ADDR, "corp.internal.") is None, "NSD stopped")
        if self.knot and self.knot.poll() is None:
            self.knot.terminate()
            self.knot.wait(10)

    def knotc(self, *args):
        return subprocess.run(["knotc", "-c", str(self.knot_conf), *args], check=True,
                              capture_output=True, text=True).stdout


def soa_serial(addr, zone):
    try:
        r = dns.query.udp(dns.message.make_query(zone, "SOA"), addr, timeout=0.3)
    except Exception:  # noqa: BLE001 - not answering (yet) is what we poll for
        return None
    return r.answer[0][0].serial if r.answer else None


def served_serial(zone):
    _, r = ask(ADDR, zone, "SOA")
    return r.answer[0][0].serial if rcode_text(r) == "NOERROR" and r.answer else None


def port53_config(tmp):
    (tmp / "copies").mkdir(exist_ok=True)
    (tmp / "knot.secret").write_text(KNOT_SECRET + "\n")
    return PORT53.format(d=tmp, nsd=NSD_ADDR, knot=KNOT_ADDR, nsd_secret=NSD_SECRET,
                         wrong_secret=WRONG_SECRET)


@pytest.fixture(scope="module")
def setup(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secondary")
    primaries = Primaries(tmp)
    primaries.start()
    try:
        with OwnPort53d(lab, tmp, ADDR, extra=port53_config(tmp), log_level="debug") as own:
            wait_for(lambda: served_serial("corp.internal.") == 1, "corp.internal. transferred")
            wait_for(lambda: served_serial("knot.internal.") == 1, "knot.internal. transferred")
            yield own, primaries, tmp
    finally:
        primaries.stop()


def nsd_queries(primaries, name):
    """NSD at verbosity 2 logs each transfer, not each query: count AXFR/SOA in its log."""
    return (primaries.nsd_dir / "nsd.log").read_text().count(name)


@port53d_only
@pytest.mark.parametrize("qname,qtype,rcode,want", [
    ("www.corp.internal.", "A", "NOERROR", ["www.corp.internal. A 192.0.2.80"]),
    ("host2999.corp.internal.", "A", "NOERROR", ["host2999.corp.internal. A 198.51.100.250"]),
    ("x.apps.corp.internal.", "A", "NOERROR", ["x.apps.corp.internal. A 192.0.2.81"]),
    ("nothing.corp.internal.", "A", "NXDOMAIN", []),
    ("mail.knot.internal.", "A", "NOERROR", ["mail.knot.internal. A 192.0.2.25"]),
    ("mail.knot.internal.", "AAAA", "NOERROR", []),
])
def test_answered_from_the_copy(setup, qname, qtype, rcode, want):
    own, primaries, _ = setup
    before = nsd_queries(primaries, "corp.internal")
    _, r = ask(ADDR, qname, qtype)
    assert rcode_text(r) == rcode, r
    assert answer_set(r) == sorted(want), r
    assert r.flags & dns.flags.AA, "no AA on an answer from a secondary zone:\n%s" % r
    if not want:
        assert [rr.rdtype for rr in r.authority] == [dns.rdatatype.SOA], r
    assert own.asked_upstream(qname) == [], "asked upstream for a name of a secondary zone"
    assert nsd_queries(primaries, "corp.internal") == before, "the primary was asked"


@port53d_only
def test_nsd_transfer_spans_several_messages_signed_with_sha256(setup):
    own, primaries, tmp = setup
    copy = (tmp / "copies" / "corp.internal.zone").read_text()
    assert len([l for l in copy.splitlines() if l.startswith("host")]) == MANY
    assert "serial 1 by AXFR from %s:53" % NSD_ADDR in own.log_text()
    # NSD gives the zone only to the key: unsigned, it refuses. The same transfer read by
    # dnspython comes in several messages, each after the first signed over the MAC before
    # it and the timers only (RFC 8945 §5.3.1): port53d verified that chain.
    with pytest.raises(dns.xfr.TransferError):
        list(dns.query.xfr(NSD_ADDR, "corp.internal.", timeout=5))
    ring = dns.tsigkeyring.from_text({"nsd-key.": ("hmac-sha256", NSD_SECRET)})
    msgs = list(dns.query.xfr(NSD_ADDR, "corp.internal.", keyring=ring, keyname="nsd-key.",
                              keyalgorithm=dns.tsig.HMAC_SHA256, timeout=5))
    assert len(msgs) > 1, "the zone fits one message: make it bigger"
    assert msgs[0].had_tsig and msgs[-1].had_tsig


@port53d_only
def test_notify_from_nsd_brings_the_new_serial(setup):
    own, primaries, _ = setup
    (primaries.nsd_dir / "corp.internal.zone").write_text(
        corp_zone(2, "new 300 IN A 192.0.2.99\n"))
    os.kill(primaries.nsd_pid(), signal.SIGHUP)  # NSD reloads and sends NOTIFY (signed)
    wait_for(lambda: served_serial("corp.internal.") == 2, "serial 2 after NOTIFY")
    assert re.search(r"NOTIFY for corp\.internal\. from %s:\d+: refreshing" % NSD_ADDR,
                     own.log_text()), own.log_text()[-3000:]
    _, r = ask(ADDR, "new.corp.internal.", "A")
    assert answer_set(r) == ["new.corp.internal. A 192.0.2.99"], r
    assert r.flags & dns.flags.AA


@port53d_only
def test_knot_change_arrives_by_ixfr_after_notify(setup):
    own, primaries, _ = setup
    (primaries.knot_dir / "knot.internal.zone").write_text(
        knot_zone(2, "wiki 300 IN A 192.0.2.77\n"))
    primaries.knotc("zone-reload", "knot.internal.")
    wait_for(lambda: served_serial("knot.internal.") == 2, "serial 2 from Knot")
    log = own.log_text()
    assert "knot.internal.: serial 2 by IXFR from %s:53" % KNOT_ADDR in log, log[-3000:]
    assert re.search(r"NOTIFY for knot\.internal\. from %s:\d+: refreshing" % KNOT_ADDR, log)
    _, r = ask(ADDR, "wiki.knot.internal.", "A")
    assert answer_set(r) == ["wiki.knot.internal. A 192.0.2.77"], r


@port53d_only
def test_transfer_with_a_wrong_key_is_refused_and_counted(setup):
    own, _, tmp = setup
    wait_for(lambda: re.search(r"bad\.internal\.: refresh from .* failed: TSIG.*TSIG failures [2-9]",
                               own.log_text()), "two failed refreshes of bad.internal.")
    _, r = ask(ADDR, "ns.bad.internal.", "A")
    assert rcode_text(r) == "SERVFAIL", r
    assert not (tmp / "copies" / "bad.internal.zone").exists()


def notify(zone, keyring=None, keyname=None, algorithm=None, source=NSD_ADDR, transport="udp"):
    m = dns.message.make_query(zone, "SOA")
    m.set_opcode(dns.opcode.NOTIFY)
    m.flags |= dns.flags.AA
    if keyring:
        m.use_tsig(keyring, keyname=keyname, algorithm=algorithm)
    # dnspython checks the TSIG of the reply against the same key.
    send = dns.query.tcp if transport == "tcp" else dns.query.udp
    return send(m, ADDR, timeout=5, source=source)


@port53d_only
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_signed_notify_from_the_primary_is_answered_signed(setup, transport):
    own, _, _ = setup
    ring = dns.tsigkeyring.from_text({"nsd-key.": ("hmac-sha256", NSD_SECRET)})
    r = notify("corp.internal.", ring, "nsd-key.", dns.tsig.HMAC_SHA256, transport=transport)
    assert r.rcode() == dns.rcode.NOERROR, r
    assert r.opcode() == dns.opcode.NOTIFY and r.flags & dns.flags.AA, r
    assert r.had_tsig, "the reply to a signed NOTIFY must be signed"
    assert [str(q.name) for q in r.question] == ["corp.internal."], r


@port53d_only
@pytest.mark.parametrize("case", ["wrong secret", "unsigned", "stranger", "not our zone"])
def test_bad_notify_is_refused_and_counted(setup, case):
    own, _, _ = setup
    good = dns.tsigkeyring.from_text({"nsd-key.": ("hmac-sha256", NSD_SECRET)})
    wrong = dns.tsigkeyring.from_text({"nsd-key.": ("hmac-sha256", WRONG_SECRET)})
    before = len(re.findall(r"NOTIFY for \S+ from .* refused", own.log_text()))
    if case == "wrong secret":
        m = dns.message.make_query("corp.internal.", "SOA")
        m.set_opcode(dns.opcode.NOTIFY)
        m.use_tsig(wrong, keyname="nsd-key.", algorithm=dns.tsig.HMAC_SHA256)
        # Unsigned NOTAUTH: dnspython would reject it for lacking our TSIG; read it raw.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((NSD_ADDR, 0))
        s.settimeout(5)
        s.sendto(m.to_wire(), (ADDR, 53))
        r = dns.message.from_wire(s.recv(4096))
        s.close()
        assert r.rcode() == dns.rcode.NOTAUTH, r
    elif case == "unsigned":
        assert notify("corp.internal.").rcode() == dns.rcode.NOTAUTH
    elif case == "stranger":
        r = notify("corp.internal.", good, "nsd-key.", dns.tsig.HMAC_SHA256, source=STRANGER)
        assert r.rcode() == dns.rcode.REFUSED, r
    else:
        assert notify("example.").rcode() == dns.rcode.REFUSED
    after = len(re.findall(r"NOTIFY for \S+ from .* refused", own.log_text()))
    assert after == before + 1, own.log_text()[-2000:]


@port53d_only
def test_restart_with_primaries_down_answers_from_disk_until_expire(setup, lab):
    own, primaries, tmp = setup
    wait_for(lambda: served_serial("short.internal.") == 1, "short.internal. transferred")
    primaries.stop()
    own.__exit__(None, None, None)
    with OwnPort53d(lab, tmp, ADDR, extra=port53_config(tmp), name="restarted") as again:
        # At once, from the files: the first question after the start is answered.
        for qname, want in (("www.corp.internal.", "www.corp.internal. A 192.0.2.80"),
                            ("new.corp.internal.", "new.corp.internal. A 192.0.2.99"),
                            ("mail.knot.internal.", "mail.knot.internal. A 192.0.2.25")):
            _, r = ask(ADDR, qname, "A")
            assert answer_set(r) == [want], r
            assert r.flags & dns.flags.AA, r
        assert "loaded from" in again.log_text()
        # short.internal.'s SOA expire (4 s) passes with its primary down: SERVFAIL then,
        # while corp.internal. (expire one day) is still answered.
        last = []
        wait_for(lambda: last.append(ask(ADDR, "ns.short.internal.", "A")[1]) or
                 rcode_text(last[-1]) == "SERVFAIL", "short.internal. expired", timeout=10)
        # Not from the answer cache's stale copy either (the lab serves stale answers).
        assert not any(o.otype == 15 and o.code == 3 for o in last[-1].options), last[-1]
        _, r = ask(ADDR, "www.corp.internal.", "A")
        assert rcode_text(r) == "NOERROR" and r.flags & dns.flags.AA, r
