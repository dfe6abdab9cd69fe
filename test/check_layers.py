#!/usr/bin/python3
"""Fails if a source file includes a project header from a layer above its own. The layers,
lowest first (README, Architecture): wire and base; cache, dnssec and upstream; engine;
local (names answered here), filter (blocklists), secondary (zone transfers); server (the front door); transports; conf
(reads the configuration into every module's settings); daemon. Each folder may include itself
and the folders listed for it here; from some folders, only the headers ONLY_HEADERS names:
transports see the front door's narrow header (server/front_door.hpp), not the engine behind it."""
import re
import subprocess
import sys

ALLOWED = {
    "wire": {"wire"},
    "base": {"base"},
    "cache": {"cache", "wire", "base"},
    "dnssec": {"dnssec", "wire", "base"},
    "upstream": {"upstream", "wire", "base"},
    "engine": {"engine", "upstream", "cache", "dnssec", "wire", "base"},
    "local": {"local", "engine", "upstream", "cache", "dnssec", "wire", "base"},
    "filter": {"filter", "local", "engine", "upstream", "cache", "dnssec", "wire", "base"},
    "secondary": {"secondary", "local", "engine", "upstream", "cache", "dnssec", "wire", "base"},
    "server": {"server", "engine", "upstream", "cache", "dnssec", "wire", "base"},
    "transports": {"transports", "server", "wire", "base"},
    "conf": {"conf", "transports", "filter", "secondary", "local", "server", "engine", "upstream", "cache",
             "dnssec", "wire", "base"},
    "daemon": {"daemon", "transports", "conf", "filter", "secondary", "local", "server", "engine", "upstream", "cache", "dnssec",
               "wire", "base"},
}

# (layer, target folder) → the only headers of that folder the layer may include.
ONLY_HEADERS = {
    ("transports", "server"): {"server/front_door.hpp"},
}

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
            if target not in ALLOWED[layer]:
                bad.append("%s:%d: %s (layer %s may include %s)" % (
                    path, n, header, layer, ", ".join(sorted(ALLOWED[layer]))))
            elif header not in ONLY_HEADERS.get((layer, target), {header}):
                bad.append("%s:%d: %s (layer %s may include only %s from %s/)" % (
                    path, n, header, layer, ", ".join(sorted(ONLY_HEADERS[(layer, target)])),
                    target))
if bad:
    sys.exit("includes against the layering:\n" + "\n".join(bad))
print("includes follow the layering (%d files)" % len(files))
