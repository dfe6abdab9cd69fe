"""The lab's DNS hierarchy and its test cases, as plain data.

Adding a zone is one Zone(...) entry in ZONES; adding a case is one Case(...)
in CASES.  build.py derives everything else from these tables: the apex SOA/NS,
glue and delegations in the parent, DS records, keys and signatures, and the
NSD instance that serves each zone.

Every answer address is a documentation address (RFC 5737 / RFC 3849), except
web.sec.lab. (127.54.0.80): a web page served on loopback that real clients (curl
--doh-url, a browser) load after resolving the name through the resolver's DoH.
The lab name servers themselves live on loopback, in 127.100.0.0/16.
"""
import random
from dataclasses import dataclass, field

# One NSD process per server: name -> listen address (port 53).
SERVERS = {
    "root":     "127.100.0.1",   # a.root-servers.lab.
    "lab":      "127.100.1.1",   # ns1.nic.lab.
    "example":  "127.100.2.1",   # ns1.nic.example.
    "sec":      "127.100.10.1",  # ns1.sec.lab.
    # Serves provider.example. and outsourced.lab.; it is also the server the
    # lame NS records point at: it answers REFUSED for zones it does not serve.
    "provider": "127.100.11.1",  # ns.provider.example.
    "target":   "127.100.12.1",  # ns1.target.example.
    "good":     "127.100.13.1",  # halflame.lab., deadns.lab., insecure.lab.
}
# Nothing listens here: queries get ICMP port unreachable (connection refused).
DEAD_ADDR = "127.100.99.1"

# web.sec.lab.: where the encrypted-transport tests serve a page (a client on loopback
# must be able to connect to what the name resolves to).
WEB_ADDR = "127.54.0.80"

# Resolvers under test (not part of the NSD lab, but their addresses are fixed).
PORT53D_ADDR = "127.53.0.1"
UNBOUND_ADDR = "127.53.0.2"

# DNSSEC algorithm numbers (RFC 8624 names).
RSASHA256, RSASHA512, ECDSAP256, ECDSAP384, ED25519, ED448 = 8, 10, 13, 14, 15, 16
# Deprecated (RFC 8624 MUST NOT validate); neither port53 nor Unbound supports it,
# so a zone signed only with it is insecure, not bogus (RFC 4035 5.2).
RSAMD5 = 1


@dataclass
class Zone:
    name: str                    # absolute, e.g. "sec.lab."
    servers: list                # SERVERS keys that load this zone ([] = nobody)
    ns: dict                     # NS name -> address (glue/authoritative A is derived)
    records: list = field(default_factory=list)  # zone-file lines, relative to the origin
    alg: int = None              # DNSSEC algorithm; None = unsigned (no DS in the parent)
    nsec3: bool = False
    optout: bool = False         # NSEC3 opt-out (only with nsec3)
    split_keys: bool = False     # separate KSK + ZSK instead of one combined key
    ttl: int = 300
    # Hooks for broken-DNSSEC cases:
    # ds: "auto" = DS of the real KSK in the parent (if signed), "none" = no DS
    # (a signed island), "bogus" = DS of a key that never signed anything.
    ds: str = "auto"
    # (inception, expiration) in seconds relative to now; None = the default
    # window.  E.g. (-30 * 86400, -7 * 86400) makes every signature expired.
    sig_window: tuple = None
    # NSEC3 extra iterations; RFC 9276 says 0, validators treat > 150 as insecure.
    nsec3_iterations: int = 0
    # Which DNSKEYs the zone publishes: "all"; "ksk" = only the KSK (needs
    # split_keys): it signs the DNSKEY set, but every other RRSIG names the
    # unpublished ZSK; "none" = the DNSKEY RRset is deleted after signing.
    dnskeys: str = "all"
    # "owner TYPE rdata" (owner relative): written over that one-record RRset
    # after signing, so its RRSIG no longer matches (a forged answer).
    forged: str = None


def big_txt_strings():
    """16 TXT records of 200 characters: ~3.3 kB, well over 1232 bytes."""
    return ["%02d-" % i + chr(ord("a") + i) * 197 for i in range(16)]


def many_names(n=200, seed=8198, nets=("192.0.2.",)):
    """n distinct 10-letter labels, "label A addr", the same at every lab
    start; the addresses go round the documentation networks in nets
    (192.0.2.1, .2, ... with one).  Random labels spread the zone's NSEC ranges
    over the whole name space, as a real zone's are (h000..h199 would leave two
    huge ranges).  Queries of 12 letters never hit one of them."""
    rnd, labels = random.Random(seed), set()
    while len(labels) < n:
        labels.add("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10)))
    return ["%s A %s%d" % (label, nets[i % len(nets)], 1 + (i // len(nets)) % 254)
            for i, label in enumerate(sorted(labels))]


# The cold-walk benchmark's zone (tools/bench.sh --only walk): this many names.
WALK_ZONE, WALK_NAMES = "walk.lab.", 10000


def broken(zone, addr, alg=ECDSAP256, **hooks):
    """A signed zone with only "www A addr", on the good server, and one
    broken-DNSSEC hook set."""
    return Zone(zone, ["good"], {"ns1." + zone: SERVERS["good"]},
                records=["www A " + addr], alg=alg, **hooks)


ZONES = [
    Zone(".", ["root"], {"a.root-servers.lab.": SERVERS["root"]},
         alg=RSASHA256, split_keys=True),
    # TLDs.  lab. uses NSEC3 opt-out, which is what proves insecure.lab. unsigned.
    Zone("lab.", ["lab"], {"ns1.nic.lab.": SERVERS["lab"]},
         alg=ECDSAP256, nsec3=True, optout=True,
         records=["dname DNAME target.example."]
         # NXNS (CVE-2020-12662): a delegation to 300 NS names that do not exist.
         + ["nxns NS ns%03d.sink.example." % i for i in range(300)]),
    Zone("example.", ["example"], {"ns1.nic.example.": SERVERS["example"]},
         alg=ED25519, nsec3=True,
         records=["*.wild A 203.0.113.80"]),
    # Ordinary names, in-zone glue (NS name inside the delegated zone), NSEC.
    Zone("sec.lab.", ["sec"], {"ns1.sec.lab.": SERVERS["sec"]},
         alg=RSASHA512,
         records=["@ MX 10 mail.sec.lab.",
                  "mail A 192.0.2.25",
                  "www A 192.0.2.1",
                  "www AAAA 2001:db8::1",
                  'www TXT "port53 lab" "second string"',
                  "short 5 A 192.0.2.5",
                  "web A " + WEB_ADDR,
                  "*.wild A 192.0.2.80",
                  "c1 CNAME c2.provider.example."]
         + ['big TXT "%s"' % s for s in big_txt_strings()]),
    Zone("provider.example.", ["provider"], {"ns.provider.example.": SERVERS["provider"]},
         alg=ECDSAP384,
         records=["www A 198.51.100.10",
                  "c2 CNAME c3.outsourced.lab."]),
    # Under lab., but its only NS name lives in example.: no glue possible.
    Zone("outsourced.lab.", ["provider"], {"ns.provider.example.": SERVERS["provider"]},
         alg=ED25519,
         records=["www A 198.51.100.20",
                  "c3 CNAME c4.target.example."]),
    Zone("target.example.", ["target"], {"ns1.target.example.": SERVERS["target"]},
         alg=ED448, nsec3=True,
         records=["www A 198.51.100.30",
                  "www AAAA 2001:db8::30",
                  "c4 A 198.51.100.44"]),
    # ns1 points at a server that does not serve the zone (REFUSED); ns2 works.
    Zone("halflame.lab.", ["good"], {"ns1.halflame.lab.": SERVERS["provider"],
                                     "ns2.halflame.lab.": SERVERS["good"]},
         alg=RSASHA256, records=["www A 192.0.2.60"]),
    # Fully lame: its only server refuses.  Nobody loads it.
    Zone("lame.lab.", [], {"ns1.lame.lab.": SERVERS["provider"]},
         records=["www A 192.0.2.65"]),
    # ns1's address has no listener; ns2 works.
    Zone("deadns.lab.", ["good"], {"ns1.deadns.lab.": DEAD_ADDR,
                                   "ns2.deadns.lab.": SERVERS["good"]},
         alg=ECDSAP256, nsec3=True, records=["www A 192.0.2.70"]),
    # Unsigned delegation from a signed parent: answers are insecure, not bogus.
    Zone("insecure.lab.", ["good"], {"ns1.insecure.lab.": SERVERS["good"]},
         records=["www A 192.0.2.90"]),
    # Random-subdomain benchmark (tools/bench.sh --only randsub): 200 names each,
    # so aggressive negative caching (RFC 8198) has ~200 ranges to learn; NSEC
    # and NSEC3 (no opt-out, 0 iterations), both ECDSAP256SHA256, no wildcard.
    Zone("many.lab.", ["sec"], {"ns1.many.lab.": SERVERS["sec"]},
         alg=ECDSAP256, records=many_names()),
    Zone("many.example.", ["target"], {"ns1.many.example.": SERVERS["target"]},
         alg=ECDSAP256, nsec3=True, records=many_names()),
    # Cold-walk benchmark (tools/bench.sh --only walk): 10,000 distinct names
    # that exist, each "label A" once, so no answer can be derived from
    # another (no wildcard: aggressive NSEC has nothing to give) and each one
    # costs an upstream query and an RRSIG check.  Positive answers carry no
    # denial records, so NSEC (cheaper to sign at every lab start than NSEC3)
    # changes nothing the walk measures; ECDSAP256SHA256, the most common
    # algorithm of signed zones.
    Zone(WALK_ZONE, ["sec"], {"ns1.walk.lab.": SERVERS["sec"]}, alg=ECDSAP256,
         records=many_names(WALK_NAMES, seed=13,
                            nets=("192.0.2.", "198.51.100.", "203.0.113."))),
    # Broken DNSSEC: one trap per zone, each under a fine parent (with a DS
    # unless said otherwise), so the chain breaks in the child itself.
    # Windows stay a week off: Unbound tolerates up to a day of clock skew.
    broken("expired.lab.", "192.0.2.101", sig_window=(-30 * 86400, -7 * 86400)),
    broken("notyet.lab.", "192.0.2.102", sig_window=(7 * 86400, 30 * 86400)),
    broken("dsmismatch.lab.", "192.0.2.103", ds="bogus"),
    broken("nodnskey.lab.", "192.0.2.104", dnskeys="none"),
    broken("wrongkey.example.", "192.0.2.105", split_keys=True, dnskeys="ksk"),
    broken("forged.example.", "192.0.2.106", forged="www A 192.0.2.166"),
    broken("iter500.example.", "192.0.2.107", nsec3=True, nsec3_iterations=500),
    broken("rsamd5.lab.", "192.0.2.108", alg=RSAMD5),
]


@dataclass
class Case:
    id: str                      # short unique name, used as the pytest id
    qname: str
    qtype: str
    rcode: str = "NOERROR"
    answer: list = field(default_factory=list)  # "owner TYPE rdata", any order, no RRSIGs
    secure: bool = None          # expected AD bit; None = not asserted
    truncates_udp: bool = False  # answer > 1232 bytes: UDP gets TC, TCP the full answer
    max_ttl: int = None          # every answer TTL must be <= this
    ede: int = None              # Extended DNS Error info-code expected (RFC 8914)
    cd_answer: list = field(default_factory=list)  # bogus data: the answer with CD=1
    why: str = ""


# RFC 8914 info-codes of the broken cases
EDE_BOGUS, EDE_SIG_EXPIRED, EDE_SIG_NOT_YET_VALID, EDE_DNSKEY_MISSING = 6, 7, 8, 9
EDE_NSEC3_ITERATIONS = 27    # "Unsupported NSEC3 Iterations Value"


def bogus(case_id, zone, addr, ede, why):
    """www.<zone> A of a broken() zone: SERVFAIL and no data unless CD=1."""
    qname = "www." + zone
    return Case(case_id, qname, "A", rcode="SERVFAIL", secure=False, ede=ede,
                cd_answer=["%s A %s" % (qname, addr)], why=why)


CHAIN = ["c1.sec.lab. CNAME c2.provider.example.",
         "c2.provider.example. CNAME c3.outsourced.lab.",
         "c3.outsourced.lab. CNAME c4.target.example.",
         "c4.target.example. A 198.51.100.44"]

CASES = [
    Case("a", "www.sec.lab.", "A", answer=["www.sec.lab. A 192.0.2.1"], secure=True,
         why="plain A, RSASHA512, glue-based delegation"),
    Case("aaaa", "www.sec.lab.", "AAAA", answer=["www.sec.lab. AAAA 2001:db8::1"], secure=True),
    Case("txt", "www.sec.lab.", "TXT",
         answer=['www.sec.lab. TXT "port53 lab" "second string"'], secure=True),
    Case("mx", "sec.lab.", "MX", answer=["sec.lab. MX 10 mail.sec.lab."], secure=True),
    Case("ns", "sec.lab.", "NS", answer=["sec.lab. NS ns1.sec.lab."], secure=True,
         why="NS at a zone apex: the child's authoritative set"),
    Case("short-ttl", "short.sec.lab.", "A", answer=["short.sec.lab. A 192.0.2.5"],
         secure=True, max_ttl=5, why="TTL 5, for expiry tests"),
    Case("big-txt", "big.sec.lab.", "TXT",
         answer=['big.sec.lab. TXT "%s"' % s for s in big_txt_strings()],
         secure=True, truncates_udp=True, why="~3.3 kB RRset: needs TCP"),
    Case("nxdomain-nsec", "nope.sec.lab.", "A", rcode="NXDOMAIN", secure=True),
    Case("nodata-nsec", "www.sec.lab.", "MX", secure=True,
         why="name exists, type does not"),
    Case("wildcard-nsec", "anything.wild.sec.lab.", "A",
         answer=["anything.wild.sec.lab. A 192.0.2.80"], secure=True),
    Case("wildcard-nsec3", "foo.bar.wild.example.", "A",
         answer=["foo.bar.wild.example. A 203.0.113.80"], secure=True,
         why="wildcard two labels deep, NSEC3 no opt-out, ED25519"),
    Case("nxdomain-nsec3", "nope.target.example.", "A", rcode="NXDOMAIN", secure=True),
    Case("nodata-nsec3", "www.target.example.", "TXT", secure=True),
    Case("ed448", "www.target.example.", "A",
         answer=["www.target.example. A 198.51.100.30"], secure=True),
    Case("ecdsa384", "www.provider.example.", "A",
         answer=["www.provider.example. A 198.51.100.10"], secure=True),
    Case("ns-in-other-tld", "www.outsourced.lab.", "A",
         answer=["www.outsourced.lab. A 198.51.100.20"], secure=True,
         why="outsourced.lab. NS ns.provider.example. only (no glue)"),
    Case("cname-chain", "c1.sec.lab.", "A", answer=CHAIN, secure=True,
         why="4 links over 4 zones in 2 TLDs"),
    Case("dname", "www.dname.lab.", "A",
         answer=["dname.lab. DNAME target.example.",
                 "www.dname.lab. CNAME www.target.example.",
                 "www.target.example. A 198.51.100.30"], secure=True,
         why="DNAME plus the synthesised CNAME (RFC 6672)"),
    Case("half-lame", "www.halflame.lab.", "A",
         answer=["www.halflame.lab. A 192.0.2.60"], secure=True,
         why="one of two NS answers REFUSED"),
    Case("fully-lame", "www.lame.lab.", "A", rcode="SERVFAIL",
         why="the only NS answers REFUSED"),
    Case("dead-ns", "www.deadns.lab.", "A",
         answer=["www.deadns.lab. A 192.0.2.70"], secure=True,
         why="one NS address has no listener"),
    Case("nxdomain-optout", "nope.lab.", "A", rcode="NXDOMAIN", secure=False,
         why="the NSEC3 covering the next closer name has opt-out set, so an "
             "unsigned delegation could exist: not provably secure (RFC 5155 9.2)"),
    Case("nxns", "www.nxns.lab.", "A", rcode="SERVFAIL",
         why="300 NS names that do not exist: cut off after a few lookups, not 300"),
    Case("insecure", "www.insecure.lab.", "A",
         answer=["www.insecure.lab. A 192.0.2.90"], secure=False,
         why="unsigned child, no DS: NSEC3 opt-out in lab. proves it"),
    # Broken DNSSEC: the validator must refuse the data (RFC 4035 5.5).
    bogus("expired", "expired.lab.", "192.0.2.101", EDE_SIG_EXPIRED,
          "every RRSIG expired a week ago"),
    bogus("not-yet-valid", "notyet.lab.", "192.0.2.102", EDE_SIG_NOT_YET_VALID,
          "every RRSIG's inception is a week ahead"),
    bogus("ds-mismatch", "dsmismatch.lab.", "192.0.2.103", EDE_DNSKEY_MISSING,
          "the DS in lab. matches no DNSKEY of the zone"),
    bogus("dnskey-missing", "nodnskey.lab.", "192.0.2.104", EDE_DNSKEY_MISSING,
          "signed, DS in lab., but no DNSKEY RRset"),
    bogus("unknown-signer", "wrongkey.example.", "192.0.2.105", EDE_DNSKEY_MISSING,
          "DS -> KSK -> DNSKEY set fine, but the A's RRSIG names a ZSK not in the set"),
    bogus("forged", "forged.example.", "192.0.2.166", EDE_BOGUS,
          "A rdata changed after signing (was 192.0.2.106)"),
    # NSEC3 over the iteration limit: denials are insecure, not bogus (RFC 9276 3.2).
    Case("iter500", "www.iter500.example.", "A",
         answer=["www.iter500.example. A 192.0.2.107"], secure=True,
         why="positive answers need no NSEC3: still secure"),
    Case("nxdomain-iter500", "nope.iter500.example.", "A", rcode="NXDOMAIN", secure=False,
         ede=EDE_NSEC3_ITERATIONS, why="NSEC3 with 500 iterations (limit 150)"),
    Case("nodata-iter500", "www.iter500.example.", "TXT", secure=False,
         ede=EDE_NSEC3_ITERATIONS, why="NSEC3 with 500 iterations (limit 150)"),
    Case("unsupported-alg", "www.rsamd5.lab.", "A",
         answer=["www.rsamd5.lab. A 192.0.2.108"], secure=False,
         why="signed only with RSAMD5 (1): insecure, not bogus (RFC 4035 5.2)"),
]
