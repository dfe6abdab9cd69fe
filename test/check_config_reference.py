#!/usr/bin/python3
"""Fails if README.md does not hold the configuration reference that port53d prints."""
import subprocess
import sys

daemon, readme = sys.argv[1], sys.argv[2]
reference = subprocess.run([daemon, "--config-reference"], check=True,
                           capture_output=True, text=True).stdout
with open(readme, encoding="utf-8") as f:
    text = f.read()
if reference not in text:
    sys.exit("README.md's configuration reference is out of date; paste the output of "
             "`port53d --config-reference` into it")
print("configuration reference is current")
