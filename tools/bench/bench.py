#!/usr/bin/python3
"""Helper for tools/bench.sh: query files, dnsperf output parsing, callgrind
totals, and the Markdown table.  Standard library only; no network use.

    bench.py queries  --cases LAB/cases.json --hit F --cold F --cold-names N [--hit-wild N]
                      [--cold-cg PREFIX --cold-cg-names N]
    bench.py randsub  --zone Z --names N --out F --check F --fresh F [--zone-file SIGNED]
                                               # random non-existent names below Z
    bench.py cycle    IN OUT N                 # OUT = first N lines of IN repeated
    bench.py dnsperf  --raw F --out JSON [--set k=v ...]
    bench.py callgrind --small DUMP --big DUMP --small-run JSON --big-run JSON --out JSON [--set k=v ...]
    bench.py callgrind-cold --startup DUMP --warm DUMP --warm-run JSON
                      --batch LABEL DUMP RUN-JSON [--batch ...] --out JSON [--set k=v ...]
    bench.py upstream --out JSON PREFIX "UDP TCP" ...   # nft counter readings into a result
    bench.py check-cases --cases LAB/cases.json --addr A --raw F --out JSON [--set k=v ...]
                                               # each lab case once: rcode and AD as expected?
    bench.py set      --out JSON k=v ...       # add fields to a result file
    bench.py table    --dir RESULTS            # prints Markdown, writes RESULTS/table.md
    bench.py walk-queries ... / walk-check ...   # the cold walk (walk.py)
"""
import argparse
import gzip
import os
import random
import re
import sys

from common import load, merge_into, parse_kv, percentile, save
from table import cmd_table
import walk

# The wildcard owners the lab serves (tools/lab/zones.py): any name below
# them is a distinct question that needs an answer from the zone's server.
WILDCARDS = ("wild.sec.lab.", "wild.example.")


# ---------------------------------------------------------------- query files

def cmd_queries(a):
    cases = load(a.cases)["cases"]
    # Cache-hit names: every case whose answer stays cacheable for the whole
    # run and fits a plain UDP reply.  Left out: SERVFAIL (fully-lame: what
    # is cached differs by design), the 5 s TTL name (it expires mid-run and
    # turns into misses), and the 3.3 kB TXT (truncated over UDP).
    hit = [(c["qname"], c["qtype"]) for c in cases
           if c["rcode"] != "SERVFAIL" and not c.get("max_ttl") and not c.get("truncates_udp")]
    # Wildcard-synthesised answers, measured apart: Unbound does not answer
    # them on its fast cache path, so mixing them in would change its figure.
    wild = [("hit%04d.%s" % (i, WILDCARDS[i % 2]), "A") for i in range(a.wild_names)]
    rnd = random.Random(a.seed)
    # Cold names: distinct, never in the other files, random labels.
    cold = []
    for i in range(a.cold_names):
        label = "c%05d-%08x" % (i, rnd.getrandbits(32))
        cold.append(("%s.%s" % (label, WILDCARDS[i % 2]), "A"))
    cold += [(c["qname"], c["qtype"]) for c in cases]
    rnd.shuffle(cold)
    files = [(a.hit, hit), (a.wild, wild), (a.cold, cold)]
    # Cold names for callgrind: other labels again (never in the cold file),
    # only wildcard names, which are all answered NOERROR with AD: every one is
    # a validated answer.  PREFIX-warm.txt: one name below each wildcard, to
    # take the zones' keys and proofs into the cache before the counted
    # batches; PREFIX-1.txt / PREFIX-2.txt: the names below wild.sec.lab.
    # (NSEC, RSASHA512) and below wild.example. (NSEC3, Ed25519), half each,
    # sent as two batches; PREFIX.txt: all of them (asked again for AD).
    if a.cold_cg:
        cg_warm = [("g-warm-%08x.%s" % (rnd.getrandbits(32), w), "A") for w in WILDCARDS]
        cg = [("g%05d-%08x.%s" % (i, rnd.getrandbits(32), WILDCARDS[i % 2]), "A")
              for i in range(a.cold_cg_names)]
        files += [(a.cold_cg + "-warm.txt", cg_warm), (a.cold_cg + ".txt", cg)]
        files += [("%s-%d.txt" % (a.cold_cg, k + 1), [q for q in cg if q[0].endswith("." + w)])
                  for k, w in enumerate(WILDCARDS)]
    for path, qs in files:
        with open(path, "w") as f:
            f.writelines("%s %s\n" % (n.rstrip("."), t) for n, t in qs)
    print("%d cache-hit names in %s, %d wildcard names in %s, %d cold names in %s"
          % (len(hit), a.hit, len(wild), a.wild, len(cold), a.cold))
    if a.cold_cg:
        print("%d cold callgrind names in %s-{1,2}.txt (warm-up: %d)"
              % (len(cg), a.cold_cg, len(cg_warm)))


def cmd_randsub(a):
    """Random-subdomain names: --names distinct labels of 12 random lowercase
    letters directly below --zone (the lab zones' own labels are never 12
    letters long, and none has a wildcard there: every one is NXDOMAIN).
    --check: 10 of them, asked again after the run; --fresh: 10 others, never
    in the run.  With --zone-file (the signed zone), prints its denial kind and
    number of NSEC/NSEC3 records ("NSEC3 201"; "NSEC3-opt-out" when flagged)."""
    zone = a.zone.rstrip(".") + "."
    rnd = random.Random("%s/%d" % (zone, a.seed))
    seen, names = set(), []
    while len(names) < a.names + 10:
        label = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12))
        if label not in seen:
            seen.add(label)
            names.append("%s.%s" % (label, zone.rstrip(".")))
    run, fresh = names[:a.names], names[a.names:]
    for path, qs in ((a.out, run), (a.check, run[:10]), (a.fresh, fresh)):
        with open(path, "w") as f:
            f.writelines("%s A\n" % n for n in qs)
    if a.zone_file:
        nsec = nsec3 = optout = 0
        with open(a.zone_file) as f:
            for line in f:
                parts = line.split()
                if len(parts) > 4 and parts[3] == "NSEC":
                    nsec += 1
                elif len(parts) > 5 and parts[3] == "NSEC3":
                    nsec3 += 1
                    optout += int(parts[5]) & 1
        kind = "NSEC3" + ("-opt-out" if optout else "") if nsec3 else "NSEC" if nsec else "none"
        print("%s %d" % (kind, nsec3 or nsec))


def cmd_cycle(a):
    lines = [l for l in open(a.input) if l.strip()]
    with open(a.output, "w") as f:
        f.writelines(lines[i % len(lines)] for i in range(a.n))


# ---------------------------------------------------------------- dnsperf

SUMMARY = {
    "sent": r"Queries sent:\s+(\d+)",
    "completed": r"Queries completed:\s+(\d+)",
    "lost": r"Queries lost:\s+(\d+)",
    "run_time_s": r"Run time \(s\):\s+([\d.]+)",
    "qps": r"Queries per second:\s+([\d.]+)",
    "avg_latency_s": r"Average Latency \(s\):\s+([\d.]+)",
    "min_latency_s": r"Average Latency \(s\):\s+[\d.]+ \(min ([\d.]+)",
    "max_latency_s": r"Average Latency \(s\):.*max ([\d.]+)\)",
    "stddev_latency_s": r"Latency StdDev \(s\):\s+([\d.]+)",
}


def cmd_dnsperf(a):
    """Splits dnsperf -v output: the per-query lines ('> RCODE name type
    latency') go to RAW.perquery.gz, the rest (dnsperf's own report) stays in
    RAW; the summary and latency percentiles go to the JSON result."""
    summary_lines, lat = [], []
    with open(a.raw, errors="replace") as f, \
            gzip.open(a.raw + ".perquery.gz", "wt", compresslevel=1) as pq:
        for line in f:
            if line.startswith("> "):
                pq.write(line)
                parts = line.split()
                try:
                    lat.append(float(parts[-1]))
                except (ValueError, IndexError):
                    pass
            else:
                summary_lines.append(line)
    text = "".join(summary_lines)
    with open(a.raw, "w") as f:
        f.write(text)
    doc = {}
    for key, rx in SUMMARY.items():
        m = re.search(rx, text)
        if m:
            doc[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    m = re.search(r"Response codes:\s+(.*)", text)
    doc["rcodes"] = dict((rc, int(n)) for rc, n in re.findall(r"([A-Z]+) (\d+) \(", m.group(1))) if m else {}
    lat.sort()
    doc["latency_samples"] = len(lat)
    for p in (50, 90, 99, 99.9):
        doc["p%s_latency_s" % ("%g" % p).replace(".", "_")] = percentile(lat, p)
    # port53-load (tools/loadgen) prints no per-query lines: its own histogram's percentiles
    m = re.search(r"Latency percentiles \(s\): p50 ([\d.]+), p90 ([\d.]+), p99 ([\d.]+), "
                  r"p99\.9 ([\d.]+)", text)
    if m and not lat:
        for key, v in zip(("p50", "p90", "p99", "p99_9"), m.groups()):
            doc[key + "_latency_s"] = float(v)
        doc["latency_samples"] = doc.get("completed", 0)
    m = re.search(r"Generator CPU \(s\):\s+user ([\d.]+), system ([\d.]+)", text)
    if m:
        doc["client_cpu_s"] = float(m.group(1)) + float(m.group(2))
    # the client's CPU as bench.sh measured it (bash's times: user and system of the child)
    cpu_file = a.raw.replace(".dnsperf.txt", ".cputime")
    if "client_cpu_s" not in doc and os.path.exists(cpu_file):
        with open(cpu_file) as f:
            fields = f.read().split()
        if len(fields) >= 2:
            doc["client_cpu_s"] = float(fields[0]) + float(fields[1])
    doc["raw"] = os.path.basename(a.raw)
    doc.update(parse_kv(a.set))
    if "sent" not in doc:
        doc["error"] = "no dnsperf summary in %s" % a.raw
    save(a.out, doc)


# ---------------------------------------------------------------- callgrind

def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise SystemExit("no summary/totals line in %s" % path)


def cmd_callgrind(a):
    small, big = callgrind_total(a.small), callgrind_total(a.big)
    rs, rb = load(a.small_run), load(a.big_run)
    ns, nb = rs.get("completed", 0), rb.get("completed", 0)
    doc = {"ir_small": small, "ir_big": big, "queries_small": ns, "queries_big": nb,
           "sent_small": rs.get("sent"), "sent_big": rb.get("sent"),
           "rcodes_big": rb.get("rcodes", {}),
           "dump_small": os.path.basename(a.small), "dump_big": os.path.basename(a.big)}
    if nb > ns:
        doc["ir_per_hit"] = (big - small) / (nb - ns)
    if nb:
        doc["ir_per_query_big_batch"] = big / nb
    doc.update(parse_kv(a.set))
    save(a.out, doc)


def cmd_callgrind_cold(a):
    """Ir per cold validated name: each batch's dump holds exactly that batch
    (plus idle time); start-up and warm-up are reported apart."""
    startup, warm = callgrind_total(a.startup), callgrind_total(a.warm)
    rw = load(a.warm_run)
    doc = {"ir_startup": startup, "ir_warmup": warm,
           "warm_names": rw.get("sent"), "warm_rcodes": rw.get("rcodes", {}), "warm_lost": rw.get("lost"),
           "dump_startup": os.path.basename(a.startup), "dump_warm": os.path.basename(a.warm),
           "batches": [b[0] for b in a.batch]}
    tot = {"ir_batch": 0, "names": 0, "completed": 0, "lost": 0, "run_time_s": 0.0}
    rcodes, lat = {}, []
    for label, dump, run in a.batch:
        ir, r = callgrind_total(dump), load(run)
        n = r.get("completed", 0)
        b = {"ir_batch": ir, "names": r.get("sent", 0), "completed": n, "lost": r.get("lost", 0),
             "rcodes": r.get("rcodes", {}), "run_time_s": r.get("run_time_s", 0.0),
             "p50_latency_s": r.get("p50_latency_s"), "p99_latency_s": r.get("p99_latency_s"),
             "dump": os.path.basename(dump)}
        if n:
            b["ir_per_name"] = ir / n
        doc[label] = b
        for k in tot:
            tot[k] += b[k]
        for rc, c in b["rcodes"].items():
            rcodes[rc] = rcodes.get(rc, 0) + c
        try:
            with gzip.open(os.path.join(os.path.dirname(run), "..", "raw",
                                        r["raw"] + ".perquery.gz"), "rt") as pq:
                lat += [float(l.split()[-1]) for l in pq if l.startswith("> ")]
        except (OSError, KeyError, ValueError, IndexError):
            pass
    doc.update(tot)
    doc["rcodes"] = rcodes
    lat.sort()
    doc["p50_latency_s"], doc["p99_latency_s"] = percentile(lat, 50), percentile(lat, 99)
    if tot["completed"]:
        doc["ir_per_name"] = tot["ir_batch"] / tot["completed"]
        doc["ir_per_name_incl_startup"] = (startup + warm + tot["ir_batch"]) / tot["completed"]
    doc.update(parse_kv(a.set))
    save(a.out, doc)


def cmd_upstream(a):
    """nft counter readings ("UDP TCP-SYN") per phase -> PREFIX_udp, PREFIX_tcp_syn."""
    fields = {}
    if len(a.pairs) % 2:
        raise SystemExit("upstream: PREFIX \"UDP TCP\" pairs expected")
    for prefix, value in zip(a.pairs[::2], a.pairs[1::2]):
        udp, tcp = (int(x) for x in value.split())
        fields[prefix + "_udp"] = udp
        fields[prefix + "_tcp_syn"] = tcp
    merge_into(a.out, fields)


def cmd_check_cases(a):
    """Asks every lab case once (RD, EDNS0 with DO, 1232 bytes; again over TCP
    when truncated), in parallel (8 at a time, 10 s each), and compares the
    rcode and the AD bit with the lab's expectation (secure -> AD; SERVFAIL
    cases have no AD).  Exit 1 when any differs."""
    import concurrent.futures
    import dns.flags
    import dns.message
    import dns.query
    import dns.rcode
    cases = load(a.cases)["cases"]

    def ask(c):
        q = dns.message.make_query(c["qname"], c["qtype"], want_dnssec=True, payload=1232)
        try:
            r = dns.query.udp(q, a.addr, timeout=10)
            if r.flags & dns.flags.TC:
                r = dns.query.tcp(q, a.addr, timeout=10)
        except Exception as e:  # timeout, refused: reported, not raised
            return c, None, None, type(e).__name__
        return c, dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AD), None

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(ask, cases))
    lines, bad = [], []
    for c, rcode, ad, err in results:
        want_ad = c["secure"] is True
        ok = err is None and rcode == c["rcode"] and ad == want_ad
        lines.append("%-4s %-16s %s %s: got %s AD=%s, want %s AD=%s%s" % (
            "ok" if ok else "DIFF", c["id"], c["qname"], c["qtype"], rcode, ad, c["rcode"],
            want_ad, " (%s)" % err if err else ""))
        if not ok:
            bad.append("%s (%s%s)" % (c["id"], rcode or err, " AD" if ad else ""))
    with open(a.raw, "w") as f:
        f.write("\n".join(lines) + "\n")
    doc = {"cases": len(cases), "as_expected": len(cases) - len(bad), "differ": bad,
           "secure_cases": sum(1 for c in cases if c["secure"] is True),
           "ad_on_secure": sum(1 for c, _, ad, _ in results if c["secure"] is True and ad)}
    doc.update(parse_kv(a.set))
    save(a.out, doc)
    print("%s: %d of %d lab cases as expected%s" % (
        a.addr, doc["as_expected"], len(cases), ("; differ: " + ", ".join(bad)) if bad else ""))
    return 1 if bad else 0


def cmd_set(a):
    merge_into(a.out, parse_kv(a.kv))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("queries")
    p.add_argument("--cases", required=True)
    p.add_argument("--hit", required=True)
    p.add_argument("--cold", required=True)
    p.add_argument("--cold-names", type=int, default=4000)
    p.add_argument("--wild", required=True)
    p.add_argument("--wild-names", type=int, default=200)
    p.add_argument("--seed", type=int, default=53)
    p.add_argument("--cold-cg", metavar="PREFIX")
    p.add_argument("--cold-cg-names", type=int, default=500)
    p.set_defaults(fn=cmd_queries)
    p = sub.add_parser("randsub")
    p.add_argument("--zone", required=True)
    p.add_argument("--names", type=int, default=2000)
    p.add_argument("--seed", type=int, default=8198)
    p.add_argument("--out", required=True)
    p.add_argument("--check", required=True)
    p.add_argument("--fresh", required=True)
    p.add_argument("--zone-file")
    p.set_defaults(fn=cmd_randsub)
    p = sub.add_parser("cycle")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("n", type=int)
    p.set_defaults(fn=cmd_cycle)
    p = sub.add_parser("dnsperf")
    p.add_argument("--raw", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--set", nargs="*")
    p.set_defaults(fn=cmd_dnsperf)
    p = sub.add_parser("callgrind")
    for k in ("small", "big", "small-run", "big-run", "out"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--set", nargs="*")
    p.set_defaults(fn=cmd_callgrind)
    p = sub.add_parser("callgrind-cold")
    for k in ("startup", "warm", "warm-run", "out"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--batch", nargs=3, action="append", required=True,
                   metavar=("LABEL", "DUMP", "RUN"))
    p.add_argument("--set", nargs="*")
    p.set_defaults(fn=cmd_callgrind_cold)
    p = sub.add_parser("upstream")
    p.add_argument("--out", required=True)
    p.add_argument("pairs", nargs="*")
    p.set_defaults(fn=cmd_upstream)
    p = sub.add_parser("check-cases")
    for k in ("cases", "addr", "raw", "out"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--set", nargs="*")
    p.set_defaults(fn=cmd_check_cases)
    walk.add_parsers(sub)
    p = sub.add_parser("set")
    p.add_argument("--out", required=True)
    p.add_argument("kv", nargs="*")
    p.set_defaults(fn=cmd_set)
    p = sub.add_parser("table")
    p.add_argument("--dir", required=True)
    p.set_defaults(fn=cmd_table)
    a = ap.parse_args()
    sys.exit(a.fn(a) or 0)


if __name__ == "__main__":
    main()
