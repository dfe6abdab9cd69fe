"""What bench.py and table.py share: the resolver columns, JSON result files,
k=v fields.  Standard library only."""
import json
import os

RESOLVERS = ("port53", "unbound", "pdns", "kresd")  # table columns, in this order
LABELS = {"port53": "port53", "unbound": "Unbound", "pdns": "PowerDNS Recursor",
          "kresd": "Knot Resolver"}


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


def percentile(sorted_vals, p):
    """Nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]
