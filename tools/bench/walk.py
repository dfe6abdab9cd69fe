"""The cold walk of tools/bench.sh (--only walk): the names of the lab's
walk zone (tools/lab/zones.py, WALK_ZONE) as query files, and the check after
the walk that every name came back secure with the zone's address.

    bench.py walk-queries --lab-src DIR --zone Z --names N --out F --cg PREFIX --cg-names M
    bench.py walk-check   --lab-src DIR --names F --addr A --out JSON
"""
import concurrent.futures
import importlib.util
import os
import random

from common import merge_into


def zone_answers(lab_src, zone):
    """{absolute name: address} of every "label A address" record of the
    zone, as the lab in lab_src declares it."""
    spec = importlib.util.spec_from_file_location("lab_zones", os.path.join(lab_src, "zones.py"))
    zones = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zones)
    z = next((z for z in zones.ZONES if z.name == zone), None)
    if z is None:
        raise SystemExit("walk: no zone %s in %s/zones.py" % (zone, lab_src))
    out = {}
    for record in z.records:
        label, rtype, addr = record.split()
        if rtype == "A":
            out["%s.%s" % (label, zone)] = addr
    return out


def write_names(path, names):
    with open(path, "w") as f:
        f.writelines("%s A\n" % n.rstrip(".") for n in names)


def cmd_walk_queries(a):
    """OUT: --names of the zone's names, in a random (seeded) order.
    PREFIX-warm.txt: one name of the zone, PREFIX.txt: --cg-names others (the
    callgrind run is a fresh resolver of its own: they may be in OUT too)."""
    names = sorted(zone_answers(a.lab_src, a.zone))
    if a.names > len(names) or a.cg_names + 1 > len(names):
        raise SystemExit("walk: %s has only %d names" % (a.zone, len(names)))
    random.Random(a.seed).shuffle(names)
    write_names(a.out, names[:a.names])
    sample = names[-(a.cg_names + 1):]
    write_names(a.cg + "-warm.txt", sample[:1])
    write_names(a.cg + ".txt", sample[1:])
    print("%d names of %s in %s; callgrind: 1 warm-up + %d in %s.txt"
          % (a.names, a.zone, a.out, a.cg_names, a.cg))


def ask(addr, qname):
    """(rcode text, AD bit, addresses in the answer) for qname A with DO, or
    (error name, False, []) after two tries of 5 s."""
    import dns.exception
    import dns.flags
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype
    q = dns.message.make_query(qname, "A", want_dnssec=True, payload=1232)
    for attempt in (1, 2):
        try:
            r = dns.query.udp(q, addr, timeout=5)
            if r.flags & dns.flags.TC:
                r = dns.query.tcp(q, addr, timeout=5)
            break
        except (OSError, dns.exception.DNSException) as e:
            if attempt == 2:
                return type(e).__name__, False, []
    got = [rd.address for rrset in r.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset]
    return dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AD), got


def cmd_walk_check(a):
    """Every name of --names again (16 at a time, DO bit, RD): how many are
    NOERROR with AD and exactly the zone's address.  Merged into --out as
    check_*; prints a one-line summary."""
    want = zone_answers(a.lab_src, a.zone)
    names = ["%s." % line.split()[0] for line in open(a.names) if line.strip()]
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        results = list(ex.map(lambda n: ask(a.addr, n), names))
    rcodes = {}
    noerror_ad = right = 0
    for qname, (rcode, ad, got) in zip(names, results):
        rcodes[rcode] = rcodes.get(rcode, 0) + 1
        noerror_ad += rcode == "NOERROR" and ad
        right += rcode == "NOERROR" and ad and got == [want.get(qname)]
    merge_into(a.out, {"check_asked": len(names), "check_rcodes": rcodes,
                       "check_noerror_ad": noerror_ad, "check_secure_right": right})
    print("%s: %d of %d names NOERROR with AD, %d of them with the zone's address"
          % (a.addr, noerror_ad, len(names), right))


def add_parsers(sub):
    p = sub.add_parser("walk-queries")
    for k in ("lab-src", "out", "cg"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--zone", default="walk.lab.")
    p.add_argument("--names", type=int, default=10000)
    p.add_argument("--cg-names", type=int, default=500)
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(fn=cmd_walk_queries)
    p = sub.add_parser("walk-check")
    for k in ("lab-src", "names", "addr", "out"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--zone", default="walk.lab.")
    p.set_defaults(fn=cmd_walk_check)
