"""Calls made to allocation functions in a callgrind output file, summed over all callers,
and the instructions it counted: `callgrind_calls.py FILE` prints 'operator_new N malloc N
instructions N'. Callgrind writes each call as 'cfn=(id) name' (the name only the first time an
id appears) followed by 'calls=N ...', and the total as 'summary: N' (or 'totals: N')."""
import re
import sys

WANTED = {"operator new(unsigned long)": "operator_new", "malloc": "malloc"}


def main(path):
    names, callee, total = {}, None, dict.fromkeys(WANTED.values(), 0)
    total["instructions"] = 0
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total["instructions"] = int(line.split()[1])
                continue
            m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3).strip()
                if m.group(1) == "cfn":
                    callee = names.get(m.group(2))
                continue
            if line.startswith("calls=") and callee in WANTED:
                total[WANTED[callee]] += int(line.split("=", 1)[1].split()[0])
    print(" ".join("%s %d" % kv for kv in total.items()))


if __name__ == "__main__":
    main(sys.argv[1])
