#!/usr/bin/python3
"""Fails if a source file includes a project header from a layer above its own. The layers,
lowest first (README, Architecture): wire; cache and dnssec; resolver; conf; transports;
daemon. Each folder may include itself and the folders listed for it here."""
import re
import subprocess
import sys

ALLOWED = {
    "wire": {"wire"},
    "cache": {"cache", "wire"},
    "dnssec": {"dnssec", "wire"},
    "resolver": {"resolver", "cache", "dnssec", "wire"},
    # conf checks access lists with the parser the front door uses (resolver/acl.hpp only)
    "conf": {"conf", "wire"},
    "transports": {"transports", "resolver", "cache", "dnssec", "wire"},
    "daemon": {"daemon", "transports", "resolver", "conf", "cache", "dnssec", "wire"},
}
EXCEPTIONS = {("conf", "resolver/acl.hpp")}

files = subprocess.run(["git", "ls-files", "*.cpp", "*.hpp"], capture_output=True, text=True,
                       check=True).stdout.split()
bad = []
for path in files:
    layer = path.split("/")[0]
    if layer not in ALLOWED:
        continue  # tests and tools may use any layer
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r'\s*#include "([a-z_]+)/([^"]+)"', line)
            if not m:
                continue
            target, header = m.group(1), m.group(1) + "/" + m.group(2)
            if target not in ALLOWED[layer] and (layer, header) not in EXCEPTIONS:
                bad.append("%s:%d: %s (layer %s may include %s)" % (
                    path, n, header, layer, ", ".join(sorted(ALLOWED[layer]))))
if bad:
    sys.exit("includes against the layering:\n" + "\n".join(bad))
print("includes follow the layering (%d files)" % len(files))
