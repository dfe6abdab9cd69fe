"""Turns the tables in zones.py into files: zone files, keys, signed zones,
NSD configs, and the resolver-side files (root.hints, root.key, unbound.conf,
port53.toml, cases.json).  Nothing here starts a process except the ldns
tools; lab.py runs the servers.
"""
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from zones import CASES, SERVERS, ZONES, PORT53D_ADDR, UNBOUND_ADDR, DEAD_ADDR

SIG_VALIDITY = 30 * 86400   # long enough that a lab left up for days stays valid
SIG_BACKDATE = 3600         # tolerate small clock differences between tools
# DS digest per algorithm: mostly SHA-256, SHA-384 where it matches the curve.
DS_DIGEST = {14: "SHA384"}
ALG_NAMES = {1: "RSAMD5", 8: "RSASHA256", 10: "RSASHA512", 13: "ECDSAP256SHA256",
             14: "ECDSAP384SHA384", 15: "ED25519", 16: "ED448"}


def name(text):
    return dns.name.from_text(text)


def file_stem(zone_name):
    return "root" if zone_name == "." else zone_name.rstrip(".")


def deepest_zone(owner):
    """The lab zone that is authoritative for `owner` (longest suffix)."""
    owner = name(owner)
    best = None
    for z in ZONES:
        if owner.is_subdomain(name(z.name)) and (
                best is None or len(name(z.name)) > len(name(best.name))):
            best = z
    return best


def parent_of(zone):
    if zone.name == ".":
        return None
    return deepest_zone(name(zone.name).parent().to_text())


def address_records():
    """zone name -> ["owner A addr", ...]: authoritative A records for every NS
    name (in the zone that owns the name) plus glue (in the zone above a cut
    the name sits under).  Deriving them keeps the tables free of repetition."""
    out = {z.name: [] for z in ZONES}

    def add(zone_name, line):
        if line not in out[zone_name]:
            out[zone_name].append(line)

    for z in ZONES:
        for ns, addr in z.ns.items():
            line = "%s A %s" % (ns, addr)
            owner = deepest_zone(ns)
            add(owner.name, line)
            if name(ns).is_subdomain(name(z.name)) and owner is not z:
                add(z.name, line)          # apex NS inside a child (the root's case)
            parent = parent_of(z)
            if parent and name(ns).is_subdomain(name(z.name)):
                add(parent.name, line)     # glue for the delegation
    return out


def render_zone(zone, addrs, ds_lines):
    """Unsigned zone file text: SOA, apex NS, A records, data, delegations."""
    rname = "hostmaster." + ("" if zone.name == "." else zone.name)
    first_ns = next(iter(zone.ns))
    lines = ["$ORIGIN %s" % zone.name, "$TTL %d" % zone.ttl,
             # minimum 60: negative answers are cached for a minute
             "@ SOA %s %s %d 3600 600 86400 60" % (first_ns, rname, int(time.time()))]
    lines += ["@ NS %s" % ns for ns in zone.ns]
    lines += addrs[zone.name]
    lines += zone.records
    for child in ZONES:
        if parent_of(child) is zone:
            lines += ["%s NS %s" % (child.name, ns) for ns in child.ns]
            lines += ds_lines.get(child.name, [])
    return "\n".join(lines) + "\n"


def run(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), res.returncode,
                                                   res.stderr.strip()))
    return res.stdout.strip()


def keygen(zone, keydir):
    """Returns the key basenames: [KSK] (combined key) or [KSK, ZSK]."""
    os.makedirs(keydir, exist_ok=True)
    base = ["ldns-keygen", "-a", ALG_NAMES[zone.alg]]
    if zone.alg in (1, 8, 10):   # RSA
        base += ["-b", "2048"]
    keys = [run(base + ["-k", zone.name], keydir)]
    if zone.split_keys:
        keys.append(run(base + [zone.name], keydir))
    if zone.ds == "bogus":
        # last in the list: only its DS is published, it never signs
        keys.append(run(base + ["-k", zone.name], keydir))
    return [os.path.join(keydir, k) for k in keys]


def read_dnskey(keyfile):
    text = open(keyfile).read().split(";")[0].split()
    # "owner IN DNSKEY flags proto alg key..." (ldns may omit the TTL)
    i = text.index("DNSKEY")
    return " ".join(text[:i]), " ".join(text[i + 1:])


def ds_for(zone, ksk):
    owner, rdata_text = read_dnskey(ksk + ".key")
    dnskey = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, rdata_text)
    ds = dns.dnssec.make_ds(name(zone.name), dnskey, DS_DIGEST.get(zone.alg, "SHA256"))
    return "%s DS %s" % (zone.name, ds.to_text()), "%s DNSKEY %s" % (zone.name, rdata_text)


def sign(zone, src, keys):
    now = int(time.time())
    start, end = zone.sig_window or (-SIG_BACKDATE, SIG_VALIDITY)
    cmd = ["ldns-signzone", "-o", zone.name, "-f", src + ".signed",
           "-i", str(now + start), "-e", str(now + end)]
    if zone.nsec3:
        # RFC 9276: no salt, and no extra iterations unless the zone is a trap
        cmd += ["-n", "-t", str(zone.nsec3_iterations)] + (["-p"] if zone.optout else [])
    if zone.dnskeys == "ksk":
        # add no DNSKEYs: the zone file already holds the KSK's (build_zones)
        cmd += ["-d"]
    run(cmd + [src] + keys, os.path.dirname(src))
    if zone.dnskeys == "none" or zone.forged:
        tamper(zone, src + ".signed")
    return src + ".signed"


def tamper(zone, path):
    """Edits a signed zone file after the fact; the RRSIGs stay as signed.
    ldns-signzone writes one "owner TTL IN TYPE rdata" per line, names absolute."""
    rrs = [line.split(None, 4) for line in open(path).read().splitlines() if line.strip()]
    if zone.dnskeys == "none":
        # The RRSIG over the DNSKEY set stays: NSD serves RRSIGs only for zones
        # with one at the apex (its zone->is_secure), and we want those served.
        rrs = [rr for rr in rrs if rr[3] != "DNSKEY"]
    if zone.forged:
        owner, rtype, rdata = zone.forged.split(None, 2)
        owner = dns.name.from_text(owner, origin=name(zone.name)).to_text()
        hits = [rr for rr in rrs if rr[0] == owner and rr[3] == rtype]
        if len(hits) != 1:
            raise RuntimeError("forged %r: %d records in %s" % (zone.forged, len(hits), path))
        hits[0][4] = rdata
    with open(path, "w") as f:
        f.write("".join("\t".join(rr) + "\n" for rr in rrs))


def build_zone(z, zdir, zkeys, addrs, ds_lines):
    """Writes one zone file (signed if the zone is) once its children's DS
    lines are known; returns (zone file path, DS line or None, DNSKEY line)."""
    src = os.path.join(zdir, file_stem(z.name) + ".zone")
    with open(src, "w") as f:
        f.write(render_zone(z, addrs, ds_lines))
        if z.dnskeys == "ksk":
            # the only DNSKEY published; sign() then adds none
            f.write(ds_for(z, zkeys[0])[1] + "\n")
    if not z.alg:
        return src, None, None
    signers = zkeys[:-1] if z.ds == "bogus" else zkeys
    ds, dnskey = ds_for(z, zkeys[-1] if z.ds == "bogus" else signers[0])
    return sign(z, src, signers), (None if z.ds == "none" else ds), dnskey


def build_zones(d):
    """Writes keys and (signed) zone files; returns {zone name: zone file path}
    and the root's DS / DNSKEY lines."""
    zdir = os.path.join(d, "zones")
    os.makedirs(zdir, exist_ok=True)
    signed = [z for z in ZONES if z.alg]
    addrs = address_records()
    # Each zone is built once its key and its children are (their DS lines go into
    # it): RSA key generation (the root's, ~1 s) and walk.lab.'s signing (10,000
    # names, ~1 s) run side by side.  One thread per zone, so a zone waiting for
    # its children never holds up another.
    with ThreadPoolExecutor(max_workers=4) as keypool, \
            ThreadPoolExecutor(max_workers=len(ZONES)) as zonepool:
        keys = {z.name: keypool.submit(keygen, z, os.path.join(d, "keys", file_stem(z.name)))
                for z in signed}
        built = {}
        # Bottom-up: a zone's DS must be in its parent before the parent is signed.
        for z in sorted(ZONES, key=lambda z: -len(name(z.name))):
            kids = {c.name: built[c.name] for c in ZONES if parent_of(c) is z}
            built[z.name] = zonepool.submit(build_after, z, zdir, keys.get(z.name), addrs, kids)
        built = {zn: f.result() for zn, f in built.items()}
    files = {zn: path for zn, (path, _, _) in built.items()}
    path, ds, dnskey = built["."]
    return files, (ds, dnskey)


def build_after(z, zdir, key_future, addrs, kids):
    """build_zone() once the zone's keys and its children's zones are done."""
    ds_lines = {}
    for child, future in kids.items():
        ds = future.result()[1]
        if ds:
            ds_lines[child] = [ds]
    return build_zone(z, zdir, key_future.result() if key_future else None, addrs, ds_lines)


def nsd_conf(d, server, zone_files):
    sdir = os.path.join(d, "nsd", server)
    os.makedirs(sdir, exist_ok=True)
    # The root zone may be transferred from loopback, as several root servers allow it
    # (RFC 8806 §2): port53's copy of the root zone is tested against it.
    zones = "".join('zone:\n  name: "%s"\n  zonefile: "%s"\n' % (z.name, zone_files[z.name]) +
                    ('  provide-xfr: 127.0.0.0/8 NOKEY\n' if z.name == "." else "")
                    for z in ZONES if server in z.servers)
    conf = """server:
  ip-address: {addr}
  port: 53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  database: ""
  zonesdir: "{sdir}"
  zonelistfile: "{sdir}/zone.list"
  xfrdfile: "{sdir}/xfrd.state"
  xfrdir: "{sdir}"
  pidfile: "{sdir}/nsd.pid"
  logfile: "{sdir}/nsd.log"
  verbosity: 1
  hide-version: yes
  reuseport: no
  ipv4-edns-size: 1232
  # DNS cookies (RFC 7873) as real authorities answer them, so the resolver's echo check
  # and server-cookie handling meet a real server in every test
  answer-cookie: yes
  cookie-secret-file: "{sdir}/cookie-secrets.txt"
  # every query comes from 127.0.0.1: rate limiting would make tests flaky
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
""".format(addr=SERVERS[server], sdir=sdir) + zones
    path = os.path.join(sdir, "nsd.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def unbound_conf(d, threads):
    udir = os.path.join(d, "unbound")
    os.makedirs(udir, exist_ok=True)
    # lab. and example. are not among Unbound's default local zones (test.,
    # invalid., onion., localhost. ... are), so they need no local-zone override.
    conf = """server:
  interface: {addr}
  port: 53
  num-threads: {threads}
  do-ip6: no
  username: ""
  chroot: ""
  directory: "{udir}"
  pidfile: "{udir}/unbound.pid"
  logfile: "{udir}/unbound.log"
  use-syslog: no
  verbosity: 1
  val-log-level: 2
  # Extended DNS Errors (RFC 8914) on SERVFAIL: off by default in Unbound
  ede: yes
  # the lab's authoritative servers all live on 127.100.0.0/16
  do-not-query-localhost: no
  root-hints: "{d}/root.hints"
  trust-anchor-file: "{d}/root.key"
  trust-anchor-signaling: no
  root-key-sentinel: no
  qname-minimisation: yes
  so-reuseport: no
  # the dead-NS case takes ~2 s cold (Unbound waits out its retry timer even
  # after "connection refused"); the default discard-timeout (1900 ms) would
  # silently drop that reply
  discard-timeout: 0
remote-control:
  control-enable: no
""".format(addr=UNBOUND_ADDR, threads=threads, udir=udir, d=d)
    path = os.path.join(d, "unbound.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def port53_toml(d):
    text = """[server]
listen = ["{addr}:53"]
threads = 2
log_level = "info"

[cache]
size_mb = 64

[resolver]
root_hints = "{d}/root.hints"
trust_anchor = "{d}/root.key"
allow_loopback_upstream = true
ipv6 = false
""".format(addr=PORT53D_ADDR, d=d)
    with open(os.path.join(d, "port53.toml"), "w") as f:
        f.write(text)


def normalize(record):
    """'owner TYPE rdata' -> the same in dnspython's canonical text form, which
    is how the tests print what a resolver returned."""
    owner, rtype, rdata = record.split(None, 2)
    rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), rdata)
    return "%s %s %s" % (name(owner).to_text(), rtype.upper(), rd.to_text())


def write_cases(d):
    cases = []
    for c in CASES:
        entry = dict(vars(c))
        entry["answer"] = sorted(normalize(r) for r in c.answer)
        entry["cd_answer"] = sorted(normalize(r) for r in c.cd_answer)
        cases.append(entry)
    doc = {"servers": SERVERS, "dead_addr": DEAD_ADDR,
           "resolvers": {"port53d": PORT53D_ADDR, "unbound": UNBOUND_ADDR},
           "cases": cases}
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump(doc, f, indent=1)


def build(d, unbound_threads=1):
    """Generates the whole lab in directory d; returns {server: nsd.conf path}."""
    files, (ds, dnskey) = build_zones(d)
    root_ns = ZONES[0].ns
    with open(os.path.join(d, "root.hints"), "w") as f:
        for ns, addr in root_ns.items():
            f.write(".\t3600000\tNS\t%s\n%s\t3600000\tA\t%s\n" % (ns, ns, addr))
    with open(os.path.join(d, "root.key"), "w") as f:
        f.write("; lab root trust anchor (regenerated at every lab start)\n%s\n" % ds)
    with open(os.path.join(d, "root.dnskey"), "w") as f:
        f.write(dnskey + "\n")
    unbound_conf(d, unbound_threads)
    port53_toml(d)
    write_cases(d)
    servers = sorted({s for z in ZONES for s in z.servers})
    return {s: nsd_conf(d, s, files) for s in servers}
