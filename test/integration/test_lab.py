"""The lab itself, asked directly (no resolver): it must really contain the
traps the other tests rely on, or those tests would prove nothing."""
import ipaddress

import dns.flags
import dns.rdatatype
import pytest

import zones
from dnsclient import make, raw_udp, rcode_text, udp, tcp

DOC_NETS = [ipaddress.ip_network(n) for n in
            ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
LAB_NET = ipaddress.ip_network("127.100.0.0/16")


def direct(addr, qname, qtype, **kw):
    q = make(qname, qtype, ad=False, **kw)
    q.flags &= ~dns.flags.RD
    return udp(addr, q)


def test_every_server_answers_its_zones(lab):
    for z in zones.ZONES:
        for server in z.servers:
            r = direct(zones.SERVERS[server], z.name, "SOA")
            assert rcode_text(r) == "NOERROR" and r.flags & dns.flags.AA, (z.name, server)


def test_root_refers_instead_of_answering(lab):
    r = direct(zones.SERVERS["root"], "www.sec.lab.", "A")
    assert not r.flags & dns.flags.AA and not r.answer
    assert [rrset.name.to_text() for rrset in r.authority
            if rrset.rdtype == dns.rdatatype.NS] == ["lab."]


def test_lame_server_refuses(lab):
    for qname in ("www.halflame.lab.", "www.lame.lab."):
        assert rcode_text(direct(zones.SERVERS["provider"], qname, "A")) == "REFUSED"


def test_nothing_listens_on_dead_address(lab):
    assert raw_udp(zones.DEAD_ADDR, make("www.deadns.lab.", "A").to_wire(), 0.5) is None


def test_authoritative_big_answer_needs_tcp(lab):
    addr = zones.SERVERS["sec"]
    assert direct(addr, "big.sec.lab.", "TXT").flags & dns.flags.TC
    q = make("big.sec.lab.", "TXT", ad=False)
    assert len(tcp(addr, q).to_wire()) > 1232


def test_signed_zones_serve_dnskeys(lab):
    for z in zones.ZONES:
        if not z.servers:
            continue
        r = direct(zones.SERVERS[z.servers[0]], z.name, "DNSKEY", do=True)
        algs = {rd.algorithm for rrset in r.answer if rrset.rdtype == dns.rdatatype.DNSKEY
                for rd in rrset}
        assert algs == ({z.alg} if z.alg and z.dnskeys != "none" else set()), z.name


@pytest.mark.parametrize("case_id", [c.id for c in zones.CASES])
def test_answer_addresses_are_documentation_only(cases, case_id):
    for rr in cases[case_id]["answer"]:
        owner, rtype, rdata = rr.split(" ", 2)
        if rtype in ("A", "AAAA"):
            ip = ipaddress.ip_address(rdata)
            assert any(ip in n for n in DOC_NETS), rr


def test_zone_data_addresses(lab):
    # glue and NS addresses are lab servers; everything else documentation, except the
    # one loopback web page (zones.WEB_ADDR) that DoH clients load in test_encrypted/browser
    for z in zones.ZONES:
        for rec in z.records:
            parts = rec.split()
            if parts[-2] in ("A", "AAAA"):
                ip = ipaddress.ip_address(parts[-1])
                assert any(ip in n for n in DOC_NETS) or parts[-1] == zones.WEB_ADDR, rec
        for addr in z.ns.values():
            assert ipaddress.ip_address(addr) in LAB_NET, z.name


def test_trust_anchor_and_hints_written(lab):
    anchor = open(lab.trust_anchor).read()
    assert ". DS " in anchor
    hints = open(lab.root_hints).read()
    assert "a.root-servers.lab." in hints and zones.SERVERS["root"] in hints
