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
"""
import argparse
import glob
import gzip
import json
import os
import random
import re
import sys

RESOLVERS = ("port53", "unbound", "pdns", "kresd")  # table columns, in this order
LABELS = {"port53": "port53", "unbound": "Unbound", "pdns": "PowerDNS Recursor",
          "kresd": "Knot Resolver"}
# The wildcard owners the lab serves (tools/lab/zones.py): any name below
# them is a distinct question that needs an answer from the zone's server.
WILDCARDS = ("wild.sec.lab.", "wild.example.")


def parse_kv(items):
    out = {}
    for item in items or []:
        k, _, v = item.partition("=")
        try:
            v = int(v)
        except ValueError:
            try:
                v = float(v)
            except ValueError:
                pass
        out[k] = v
    return out


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def merge_into(path, fields):
    doc = load(path) if os.path.exists(path) else {}
    doc.update(fields)
    save(path, doc)


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


def percentile(sorted_vals, p):
    """Nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


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


# ---------------------------------------------------------------- table

def ms(v):
    return "—" if v is None else "%.3f" % (v * 1000.0)


def mib(kb):
    return "—" if kb is None else "%.1f" % (kb / 1024.0)


def num(v, fmt="%.0f"):
    return "—" if v is None else fmt % v


def rcode_text(rc, skip=()):
    items = ["%s %d" % (k, v) for k, v in sorted(rc.items()) if k not in skip and v]
    return ", ".join(items) if items else "none"


def cpu_us(r):
    if r.get("cpu_ticks") is None or not r.get("completed") or not r.get("clk_tck"):
        return None
    return r["cpu_ticks"] * 1e6 / r["clk_tck"] / r["completed"]


def upstream_total(r, *phases):
    return sum(r[p + "_udp"] + r[p + "_tcp_syn"] for p in phases)


def per(v, n):
    return "—" if v is None or not n else "%.3f" % (float(v) / n)


def thread_split(r):
    """CPU ticks per thread during the run, busiest first: 'a / b'."""
    def parse(text):
        return dict((tid, int(t)) for tid, _, t in (x.partition(":") for x in str(text).split()) if t)
    before, after = parse(r["thread_ticks_before"]), parse(r["thread_ticks_after"])
    deltas = sorted((after[tid] - before.get(tid, 0) for tid in after), reverse=True)
    deltas = [d for d in deltas if d > 0] or [0]
    return " / ".join("%.2f" % (d / float(r["clk_tck"])) for d in deltas)


# randsub columns: (resolver, aggressive negative caching on?)
RANDSUB_COLS = (("port53", "yes"), ("port53", "no"), ("unbound", "yes"), ("unbound", "no"))


def dig_counts(r, which):
    return "%d / %d / %d of %d" % (r[which + "_nxdomain"], r[which + "_ad"],
                                   r[which + "_nxdomain_ad"], r[which + "_asked"])


def randsub_table(d, after_other):
    """The random-subdomain runs: one column per resolver and aggressive setting."""
    runs = {}
    for path in glob.glob(os.path.join(d, "runs", "*.json")):
        r = load(path)
        if r.get("scenario") == "randsub":
            runs[(int(r["threads"]), r["zone"], r["resolver"], r["aggressive"])] = r
    if not runs:
        return []
    # per thread count, the zones in the order given to bench.sh
    groups = sorted({k[:2] for k in runs}, key=lambda g: (g[0], min(
        r.get("zone_order", 0) for k, r in runs.items() if k[:2] == g), g[1]))
    rows = []
    for t, zone in groups:
        rs = [runs.get((t, zone, res, agg)) for res, agg in RANDSUB_COLS]
        some = next(r for r in rs if r)
        s = "randsub, %d thread%s, below %s (%s, %s records)" % (
            t, "" if t == 1 else "s", zone, some.get("denial", "?"), some.get("denial_records", "?"))

        def row(metric, fn, rs=rs):
            vals = []
            for (res, agg), r in zip(RANDSUB_COLS, rs):
                if r is None:
                    vals.append("—")
                elif r.get("error"):
                    vals.append("error")
                else:
                    try:
                        vals.append(fn(r, res, agg))
                    except (KeyError, TypeError, ZeroDivisionError):
                        vals.append("—")
            rows.append((s, metric, vals))

        def saved(r, res, agg):
            if agg != "yes":
                return "(baseline)"
            off = runs[(t, zone, res, "no")]
            on_n, off_n = upstream_total(r, "up_run"), upstream_total(off, "up_run")
            return "%d (%s per name, %.1f%%)" % (
                off_n - on_n, per(off_n - on_n, r["sent"]),
                100.0 * (off_n - on_n) / off_n if off_n else 0.0)

        row("answers by rcode", lambda r, *_: rcode_text(r["rcodes"]))
        row("answered / sent, lost", lambda r, *_: "%d / %d, %d lost" % (
            r["completed"], r["sent"], r["lost"]))
        row("dig +dnssec, 10 names of the run again: NXDOMAIN / AD / both",
            lambda r, *_: dig_counts(r, "requery"))
        row("dig +dnssec, 10 fresh names: NXDOMAIN / AD / both",
            lambda r, *_: dig_counts(r, "fresh"))
        row("upstream queries in the run (UDP + TCP SYN)",
            lambda r, *_: "%d + %d" % (r["up_run_udp"], r["up_run_tcp_syn"]))
        row("**upstream queries per name** (run ÷ names sent)",
            lambda r, *_: per(upstream_total(r, "up_run"), r["sent"]))
        row("upstream queries saved by aggressive use (off − on; per name; % of off)", saved)
        row("upstream: start-up / zone warm-up (SOA) / 10 fresh names / 10 again",
            lambda r, *_: "%d / %d / %d / %d" % (
                upstream_total(r, "up_startup"), upstream_total(r, "up_warmup"),
                upstream_total(r, "up_fresh"), upstream_total(r, "up_requery")))
        row("queries/s (completed / run time)", lambda r, *_: num(r["qps"]))
        row("run time (s)", lambda r, *_: "%.2f" % r["run_time_s"])
        row("latency p50 / p99 (ms)", lambda r, *_: "%s / %s" % (
            ms(r["p50_latency_s"]), ms(r["p99_latency_s"])))
        row("resolver CPU per name (µs, user+sys)", lambda r, *_: num(cpu_us(r), "%.1f"))
    out = [""] if after_other else []
    out.append("Random subdomains (RFC 8198 aggressive use of the validated cache): "
               "upstream queries saved")
    out.append("")
    out.append("| scenario | metric | port53 aggressive_nsec on | port53 off "
               "| unbound aggressive-nsec: yes | unbound no |")
    out.append("|---|---|---:|---:|---:|---:|")
    last = None
    for scenario, metric, vals in rows:
        out.append("| %s | %s | %s |" % (scenario if scenario != last else "", metric,
                                         " | ".join(vals)))
        last = scenario
    return out


def cmd_table(a):
    runs = {}
    for path in glob.glob(os.path.join(a.dir, "runs", "*.json")):
        r = load(path)
        if r.get("scenario") == "randsub":
            continue
        if "scenario" in r and "resolver" in r and str(r.get("threads", "")).isdigit():
            runs[(r["scenario"], int(r["threads"]), r["resolver"])] = r
    meta = load(os.path.join(a.dir, "meta.json")) if os.path.exists(
        os.path.join(a.dir, "meta.json")) else {}
    rows = []
    present = {k[2] for k in runs}
    cols = str(meta.get("resolvers", "")).split() or [res for res in RESOLVERS if res in present]
    peers = [res for res in cols if res != "port53"]

    def ratio(num_fn, better):
        """port53 against the best peer: > 1 means port53 is better
        (high: port53 / best peer; low: best peer / port53)."""
        def val(res):
            r = runs.get(scenario_key + (res,))
            if r is None or r.get("error") or r.get("unavailable"):
                return None
            try:
                v = num_fn(r)
            except (KeyError, TypeError, ZeroDivisionError):
                return None
            return v if v else None
        p, others = val("port53"), [v for v in map(val, peers) if v is not None]
        if p is None or not others:
            return "—"
        best = max(others) if better == "high" else min(others)
        return "%.2f×" % (p / best if better == "high" else best / p)

    def row(scenario, metric, fn, num_fn=None, better=None):
        vals = []
        for res in cols:
            r = runs.get(scenario_key + (res,))
            if r is None:
                vals.append("—")
            elif r.get("unavailable"):
                vals.append("n/a: %s" % r["unavailable"])
            elif r.get("error"):
                vals.append("error")
            else:
                try:
                    vals.append(fn(r))
                except (KeyError, TypeError, ZeroDivisionError):
                    vals.append("—")
        vals.append(ratio(num_fn, better) if num_fn and peers else "")
        rows.append((scenario, metric, vals))

    scenario_key = ("check", None)
    checks = {k[2]: r for k, r in runs.items() if k[0] == "check"}
    if checks:
        t0 = min(k[1] for k in runs if k[0] == "check")
        scenario_key = ("check", t0)
        s = "lab cases, each once, cold (before measuring)"
        row(s, "rcode and AD as the lab expects", lambda r: "%d / %d" % (r["as_expected"], r["cases"]))
        row(s, "AD on the secure cases", lambda r: "%d / %d" % (r["ad_on_secure"], r["secure_cases"]))
        row(s, "cases that differ (got)", lambda r: ", ".join(r["differ"]) or "none")

    threads = sorted({k[1] for k in runs if k[0] != "callgrind"})
    for t in threads:
        tl = "%d thread%s" % (t, "" if t == 1 else "s")
        scenario_key = ("hit", t)
        if any(scenario_key + (res,) in runs for res in RESOLVERS) or \
                any(("hit-load", t, res) in runs for res in RESOLVERS):
            s = "cache-hit, %s, saturating" % tl
            scenario_key = ("warm2", t)
            row(s, "warm-up, 2nd pass: answers (lost)",
                lambda r: "%s (%d)" % (rcode_text(r["rcodes"]), r["lost"]))
            scenario_key = ("hit", t)
            for key, gen in (("hit", "dnsperf"), ("hit-load", "port53-load")):
                scenario_key = (key, t)
                if not any(scenario_key + (res,) in runs for res in RESOLVERS):
                    continue
                g = "%s, %s" % (s, gen)
                row(g, "queries/s", lambda r: num(r["qps"]), lambda r: r["qps"], "high")
                row(g, "answered / sent", lambda r: "%d / %d" % (r["completed"], r["sent"]))
                row(g, "latency avg (ms)", lambda r: ms(r["avg_latency_s"]))
                row(g, "latency p50 (ms)", lambda r: ms(r["p50_latency_s"]))
                row(g, "latency p99 (ms)", lambda r: ms(r["p99_latency_s"]))
                row(g, "resolver CPU per query (µs, user+sys)", lambda r: num(cpu_us(r), "%.1f"),
                    cpu_us, "low")
                row(g, "CPU seconds per thread (busiest first)", thread_split)
                row(g, "load generator CPU (% of one core)",
                    lambda r: "%.0f %%" % (100.0 * r["client_cpu_s"] / r["run_time_s"]))
                row(g, "RSS after warm-up → after run (MiB)",
                    lambda r: "%s → %s" % (mib(r["rss_warm_kb"]), mib(r["rss_end_kb"])))
        scenario_key = ("latency", t)
        if any(scenario_key + (res,) in runs for res in RESOLVERS):
            any_r = next(runs[scenario_key + (res,)] for res in RESOLVERS
                         if scenario_key + (res,) in runs)
            s = "cache-hit, %s, fixed %s q/s" % (tl, any_r.get("rate", "?"))
            row(s, "answered / sent", lambda r: "%d / %d" % (r["completed"], r["sent"]))
            row(s, "latency avg (ms)", lambda r: ms(r["avg_latency_s"]))
            row(s, "latency p50 (ms)", lambda r: ms(r["p50_latency_s"]))
            row(s, "latency p99 (ms)", lambda r: ms(r["p99_latency_s"]))
            row(s, "resolver CPU per query (µs, user+sys)", lambda r: num(cpu_us(r), "%.1f"))
            row(s, "RSS at end / peak VmHWM (MiB)",
                lambda r: "%s / %s" % (mib(r["rss_end_kb"]), mib(r["hwm_kb"])))
        scenario_key = ("cold", t)
        if any(scenario_key + (res,) in runs for res in RESOLVERS):
            s = "cold-cache, %s" % tl
            row(s, "answered NOERROR / sent",
                lambda r: "%d / %d" % (r["rcodes"].get("NOERROR", 0), r["sent"]))
            row(s, "other answers", lambda r: rcode_text(r["rcodes"], skip=("NOERROR",)))
            row(s, "lost (no answer within timeout)", lambda r: "%d" % r["lost"])
            row(s, "queries/s (completed / run time)", lambda r: num(r["qps"]), lambda r: r["qps"], "high")
            row(s, "run time (s)", lambda r: "%.2f" % r["run_time_s"])
            row(s, "latency avg (ms)", lambda r: ms(r["avg_latency_s"]))
            row(s, "latency p50 (ms)", lambda r: ms(r["p50_latency_s"]))
            row(s, "latency p99 (ms)", lambda r: ms(r["p99_latency_s"]))
            row(s, "resolver CPU per query (µs, user+sys)", lambda r: num(cpu_us(r), "%.1f"))
            row(s, "RSS at end / peak VmHWM (MiB)",
                lambda r: "%s / %s" % (mib(r["rss_end_kb"]), mib(r["hwm_kb"])))
            row(s, "upstream queries per cold name (UDP + TCP SYN to 127.100/16, "
                "start-up + run ÷ names sent)",
                lambda r: per(upstream_total(r, "up_startup", "up_run"), r["sent"]))
            row(s, "upstream queries per cold name, run only (after start-up)",
                lambda r: per(upstream_total(r, "up_run"), r["sent"]))
            row(s, "upstream: start-up UDP + TCP SYN / run UDP + TCP SYN",
                lambda r: "%d + %d / %d + %d" % (r["up_startup_udp"], r["up_startup_tcp_syn"],
                                                 r["up_run_udp"], r["up_run_tcp_syn"]))
    scenario_key = ("callgrind-cold", 1)
    if any(scenario_key + (res,) in runs for res in RESOLVERS):
        s = "callgrind, 1 thread, cold validated names"
        row(s, "instructions per cold validated name (Ir ÷ answers; start-up and "
            "warm-up excluded)", lambda r: num(r["ir_per_name"], "%.0f"), lambda r: r["ir_per_name"], "low")
        row(s, "Ir per cold name incl. start-up and warm-up (÷ batch answers)",
            lambda r: num(r["ir_per_name_incl_startup"], "%.0f"))
        row(s, "Ir start-up (to first answer) / warm-up names",
            lambda r: "%.3g / %.3g (%d names)" % (r["ir_startup"], r["ir_warmup"], r["warm_names"]))
        row(s, "  names below wild.sec.lab. (NSEC, RSASHA512)",
            lambda r: num(r["sec"]["ir_per_name"], "%.0f"))
        row(s, "  names below wild.example. (NSEC3, Ed25519)",
            lambda r: num(r["example"]["ir_per_name"], "%.0f"))
        row(s, "batch answers by rcode", lambda r: rcode_text(r["rcodes"]))
        row(s, "batch: answered / sent, lost", lambda r: "%d / %d, %d lost" % (
            r["completed"], r["names"], r["lost"]))
        row(s, "AD on re-query from cache (validated)",
            lambda r: "%d / %d" % (r["ad_requery"], r["requery_answers"]))
        row(s, "upstream queries per name under valgrind (batch)",
            lambda r: per(upstream_total(r, "up_sec", "up_example"), r["names"]))
        row(s, "  below wild.sec.lab. / below wild.example.", lambda r: "%s / %s" % (
            per(upstream_total(r, "up_sec"), r["sec"]["names"]),
            per(upstream_total(r, "up_example"), r["example"]["names"])))
        row(s, "batch run time (s) / p50 / p99 latency (ms)", lambda r: "%.1f / %s / %s" % (
            r["run_time_s"], ms(r["p50_latency_s"]), ms(r["p99_latency_s"])))
    for cg, what in (("callgrind-cases", "lab-case names"),
                     ("callgrind-wild", "wildcard-synthesised names")):
        scenario_key = (cg, 1)
        if any(scenario_key + (res,) in runs for res in RESOLVERS):
            s = "callgrind, 1 thread, hits on %s" % what
            row(s, "instructions per cache hit (Ir, Δ of two batches)",
                lambda r: num(r["ir_per_hit"], "%.0f"), lambda r: r["ir_per_hit"], "low")
            row(s, "Ir per query in the big batch (incl. fixed costs)",
                lambda r: num(r["ir_per_query_big_batch"], "%.0f"))
            row(s, "queries answered (big − small batch)",
                lambda r: "%d − %d" % (r["queries_big"], r["queries_small"]))

    out = []
    if meta:
        out.append("port53d %s vs %s; dnsperf %s; %s CPU(s); load average %s → %s; %s" % (
            meta.get("port53d", "?"), meta.get("versions", meta.get("unbound", "?")), meta.get("dnsperf", "?"),
            meta.get("nproc", "?"), meta.get("load_start", "?"), meta.get("load_end", "?"),
            meta.get("date", "")))
        out.append("")
        out.append("Settings: %s" % meta.get("settings", ""))
        out.append("")
    if rows:
        out.append("| scenario | metric | %s | port53 ÷ best peer |" % " | ".join(
            LABELS.get(c, c) for c in cols))
        out.append("|---|---|%s---:|" % ("---:|" * len(cols)))
    last = None
    for scenario, metric, vals in rows:
        out.append("| %s | %s | %s |" % (scenario if scenario != last else "", metric, " | ".join(vals)))
        last = scenario
    if rows and peers:
        out.append("")
        out.append("port53 ÷ best peer: port53's queries/s over the best peer's, or the best peer's "
                   "CPU or instructions over port53's (above 1: port53 ahead).")
    out += randsub_table(a.dir, bool(rows))
    text = "\n".join(out) + "\n"
    with open(os.path.join(a.dir, "table.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


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
