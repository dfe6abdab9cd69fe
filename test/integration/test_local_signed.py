"""Signed zones served here (issue 11, local zones): the lab's own signed zone files, sec.lab.
(NSEC) and example. (NSEC3), loaded as local zones, answer with their signatures, and their
negative and wildcard answers carry the NSEC/NSEC3 records that prove them, each with an
RRSIG that dnspython verifies against the zone's DNSKEY. Without DO none of it is sent."""
import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import pytest

from conftest import OwnPort53d, port53d_only
from dnsclient import rcode_text

ADDR = "127.53.0.35"


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local-signed")
    files = ['"%s"' % lab.path("zones", stem + ".zone.signed") for stem in ("sec.lab", "example")]
    extra = "\n[local]\nzone_files = [%s]\n" % ", ".join(files)
    with OwnPort53d(lab, tmp, ADDR, extra=extra) as p:
        yield p


def ask_do(name, qtype, do=True):
    q = dns.message.make_query(name, qtype, want_dnssec=do)
    return dns.query.udp(q, ADDR, timeout=3)


def dnskeys(zone):
    r = ask_do(zone, "DNSKEY")
    rrset = r.find_rrset(r.answer, dns.name.from_text(zone), dns.rdataclass.IN,
                         dns.rdatatype.DNSKEY)
    return {dns.name.from_text(zone): rrset}


def verified_types(section, keys):
    """The types of the RRsets in `section` whose RRSIG verifies with `keys`."""
    ok = set()
    for rrset in section:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            continue
        for sig in section:
            if sig.rdtype == dns.rdatatype.RRSIG and sig.name == rrset.name and \
                    sig.covers == rrset.rdtype:
                dns.dnssec.validate(rrset, sig, keys)  # raises if it does not verify
                ok.add(rrset.rdtype)
    return ok


@port53d_only
@pytest.mark.parametrize("zone,chain", [("sec.lab.", dns.rdatatype.NSEC),
                                        ("example.", dns.rdatatype.NSEC3)])
@pytest.mark.parametrize("label,qtype,rcode,answered", [
    ("nothing-here", "A", "NXDOMAIN", False),
    ("www", "SSHFP", "NOERROR", False),          # NODATA (ns1.nic in example.)
    ("x.wild", "A", "NOERROR", True),             # a wildcard answer
])
def test_signed_local_zone_proves_what_it_denies(own, zone, chain, label, qtype, rcode, answered):
    if zone == "example." and label == "www":
        label = "ns1.nic"
    keys = dnskeys(zone)
    r = ask_do("%s.%s" % (label, zone), qtype)
    assert rcode_text(r) == rcode, r
    assert r.flags & dns.flags.AA, r
    assert bool(r.answer) == answered, r
    if answered:
        assert dns.rdatatype.A in verified_types(r.answer, keys), r
    proven = verified_types(r.authority, keys)
    assert chain in proven, "no verified %s in:\n%s" % (dns.rdatatype.to_text(chain), r)
    if not answered:
        assert dns.rdatatype.SOA in proven, r


@port53d_only
def test_without_do_no_dnssec_records_are_sent(own):
    r = ask_do("nothing-here.sec.lab.", "A", do=False)
    assert rcode_text(r) == "NXDOMAIN", r
    types = {rrset.rdtype for rrset in r.authority}
    assert types == {dns.rdatatype.SOA}, r
