"""The Markdown table of tools/bench.sh's results (bench.py table --dir DIR):
one column per resolver, one row per metric, grouped by scenario; the
random-subdomain runs in a table of their own.  Standard library only."""
import glob
import os
import sys

from common import LABELS, RESOLVERS, load


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


def any_run(runs, key):
    return next(runs[key + (res,)] for res in RESOLVERS if key + (res,) in runs)


def walk_rows(runs, t):
    """(metric, fn[, num_fn, better]) rows of the cold walk, t threads."""
    unbound = runs.get(("walk", t, "unbound"))

    def vs_unbound(r):
        return "%.2f×" % (r["run_time_s"] / unbound["run_time_s"]) if unbound else "—"
    return [
        ("names sent (dnsperf -c / -q)", lambda r: "%d (%s / %s)" % (
            r["sent"], r.get("clients", "?"), r.get("outstanding", "?"))),
        ("answers by rcode", lambda r: rcode_text(r["rcodes"])),
        ("lost (no answer within 5 s)", lambda r: "%d" % r["lost"]),
        ("**wall time of the walk (s)**", lambda r: "%.2f" % r["run_time_s"],
         lambda r: r["run_time_s"], "low"),
        ("wall time ÷ Unbound's (issue 13: port53 ≤ 0.8×)", vs_unbound),
        ("queries/s (completed / run time)", lambda r: num(r["qps"]), lambda r: r["qps"], "high"),
        ("latency p50 / p99 (ms)", lambda r: "%s / %s" % (
            ms(r["p50_latency_s"]), ms(r["p99_latency_s"]))),
        ("resolver CPU per name (µs, user+sys)", lambda r: num(cpu_us(r), "%.1f"), cpu_us, "low"),
        ("upstream queries per name (run ÷ names sent; start-up apart)",
         lambda r: per(upstream_total(r, "up_run"), r["sent"])),
        ("upstream: start-up / run (UDP + TCP SYN)", lambda r: "%d / %d + %d" % (
            upstream_total(r, "up_startup"), r["up_run_udp"], r["up_run_tcp_syn"])),
        ("every name again from the cache (DO): NOERROR+AD with the zone's address",
         lambda r: "%d / %d" % (r["check_secure_right"], r["check_asked"])),
        ("  their upstream queries (0: all cached)", lambda r: "%d" % upstream_total(r, "up_check")),
        ("RSS at end / peak VmHWM (MiB)", lambda r: "%s / %s" % (mib(r["rss_end_kb"]), mib(r["hwm_kb"]))),
    ]


def walk_callgrind_rows():
    return [
        ("instructions per cold validated name (Ir ÷ answers; start-up and warm-up "
         "excluded; issue 13: ≤ 0.9M)", lambda r: num(r["ir_per_name"], "%.0f"),
         lambda r: r["ir_per_name"], "low"),
        ("Ir per name incl. start-up and warm-up (÷ batch answers)",
         lambda r: num(r["ir_per_name_incl_startup"], "%.0f")),
        ("Ir start-up (to first answer) / warm-up names", lambda r: "%.3g / %.3g (%d names)" % (
            r["ir_startup"], r["ir_warmup"], r["warm_names"])),
        ("batch answers by rcode", lambda r: rcode_text(r["rcodes"])),
        ("batch: answered / sent, lost", lambda r: "%d / %d, %d lost" % (
            r["completed"], r["names"], r["lost"])),
        ("AD on re-query from cache (validated)", lambda r: "%d / %d" % (
            r["ad_requery"], r["requery_answers"])),
        ("upstream queries per name under valgrind (batch)",
         lambda r: per(upstream_total(r, "up_walk"), r["names"])),
        ("batch run time (s) / p50 / p99 latency (ms)", lambda r: "%.1f / %s / %s" % (
            r["run_time_s"], ms(r["p50_latency_s"]), ms(r["p99_latency_s"]))),
    ]


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
        scenario_key = ("walk", t)
        if any(scenario_key + (res,) in runs for res in RESOLVERS):
            s = "cold walk of %s, %s" % (any_run(runs, scenario_key).get("zone", "?"), tl)
            for spec in walk_rows(runs, t):
                row(s, *spec)
    scenario_key = ("callgrind-walk", 1)
    if any(scenario_key + (res,) in runs for res in RESOLVERS):
        for spec in walk_callgrind_rows():
            row("callgrind, 1 thread, cold validated names of the walk zone", *spec)
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
