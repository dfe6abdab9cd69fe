"""Names answered here (issue 11, local zones): the special-use names and private reverse
zones end at port53d with no upstream query, the operator's records and zone files answer
authoritatively (AA, the zone's SOA in negative answers), with wildcards, CNAMEs into the
public lab, and automatic PTRs."""
import re

import dns.flags
import dns.rdatatype
import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import answer_set, ask, rcode_text

ADDR = "127.53.0.15"

ZONE = """$ORIGIN lan.
@ 600 IN SOA ns.lan. admin.lan. 7 3600 600 86400 300
@ 600 IN NS ns.lan.
ns 600 IN A 192.168.0.1
*.dev 600 IN A 192.168.0.30
wiki 600 IN CNAME www.sec.lab.
"""

LOCAL = """
[local]
data = ["nas.home.arpa. 3600 IN A 192.168.1.10", "printer.corp.lab. 60 IN A 192.0.2.40"]
data_ptr = true
zone_files = ["%s"]
"""


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    zone = tmp / "lan.zone"
    zone.write_text(ZONE)
    with OwnPort53d(lab, tmp, ADDR, extra=LOCAL % zone, log_level="debug") as p:
        yield p



@port53d_only
@pytest.mark.parametrize("qname,qtype,rcode,want", [
    ("localhost.", "A", "NOERROR", ["localhost. A 127.0.0.1"]),
    ("printer.localhost.", "AAAA", "NOERROR", ["printer.localhost. AAAA ::1"]),
    ("1.0.0.127.in-addr.arpa.", "PTR", "NOERROR", ["1.0.0.127.in-addr.arpa. PTR localhost."]),
    ("anything.test.", "A", "NXDOMAIN", []),
    ("x.invalid.", "A", "NXDOMAIN", []),
    ("mybox.local.", "A", "NXDOMAIN", []),
    ("hidden.onion.", "A", "NXDOMAIN", []),
    ("20.1.168.192.in-addr.arpa.", "PTR", "NXDOMAIN", []),
    ("4.3.2.10.in-addr.arpa.", "PTR", "NXDOMAIN", []),
    ("nas.home.arpa.", "A", "NOERROR", ["nas.home.arpa. A 192.168.1.10"]),
    ("10.1.168.192.in-addr.arpa.", "PTR", "NOERROR",
     ["10.1.168.192.in-addr.arpa. PTR nas.home.arpa."]),
    ("printer.corp.lab.", "A", "NOERROR", ["printer.corp.lab. A 192.0.2.40"]),
    ("app.dev.lan.", "A", "NOERROR", ["app.dev.lan. A 192.168.0.30"]),
    ("nothing.lan.", "A", "NXDOMAIN", []),
])
def test_answered_here_without_asking_anyone(own, qname, qtype, rcode, want):
    _, r = ask(ADDR, qname, qtype)
    assert rcode_text(r) == rcode, r
    assert answer_set(r) == sorted(want), r
    assert r.flags & dns.flags.AA, "no AA on a local answer:\n%s" % r
    assert not r.flags & dns.flags.AD, r
    if rcode == "NXDOMAIN":
        assert [rr.rdtype for rr in r.authority] == [dns.rdatatype.SOA], r
    assert own.asked_upstream(qname) == [], "asked upstream for a local name"


@port53d_only
def test_local_nodata_carries_the_zone_soa(own):
    _, r = ask(ADDR, "nas.home.arpa.", "AAAA")
    assert rcode_text(r) == "NOERROR" and not r.answer, r
    assert [str(rr.name) for rr in r.authority] == ["home.arpa."], r
    assert r.flags & dns.flags.AA


@port53d_only
def test_local_cname_continues_into_the_public_lab(own):
    _, r = ask(ADDR, "wiki.lan.", "A")
    assert rcode_text(r) == "NOERROR", r
    got = answer_set(r)
    assert "wiki.lan. CNAME www.sec.lab." in got, r
    assert "www.sec.lab. A 192.0.2.1" in got, r
    assert not r.flags & dns.flags.AA, "AA on an answer that left the local zone"


@port53d_only
def test_names_beside_local_data_still_resolve(own):
    # printer.corp.lab. is local; the rest of corp.lab. (NXDOMAIN in the lab) is not.
    _, r = ask(ADDR, "www.sec.lab.", "A")
    assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"], r
    assert not r.flags & dns.flags.AA
    assert own.asked_upstream("www.sec.lab."), "the upstream-query check sees nothing"
