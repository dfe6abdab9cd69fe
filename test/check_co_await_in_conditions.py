#!/usr/bin/python3
"""Fails if a co_await sits inside &&, || or ?: : g++ 12 evaluates such an operand even when
the left side already decided the result (the engine looked up NS names after every answer
because of it). Write the condition as separate statements instead."""
import re
import subprocess
import sys

files = subprocess.run(["git", "ls-files", "*.cpp", "*.hpp"], capture_output=True, text=True,
                       check=True).stdout.split()
bad = []
for path in files:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        code = line.split("//")[0]
        if "co_await" not in code:
            continue
        before = code[:code.index("co_await")]
        prev = lines[i - 1].split("//")[0].rstrip() if i else ""
        if re.search(r"&&|\|\||\?", before) or re.search(r"(&&|\|\||\?)$", prev):
            bad.append("%s:%d: %s" % (path, i + 1, line.strip()))
if bad:
    sys.exit("co_await inside &&, || or ?: (g++ 12 miscompiles it):\n" + "\n".join(bad))
print("no co_await inside &&, || or ?:")
