#!/usr/bin/env python3
"""clang-tidy (.clang-tidy at the repository root) over the project's own sources.

    test/check_clang_tidy.py BUILD_DIR [-j N] [FILE...]

Uses BUILD_DIR/compile_commands.json (a Ninja build): every source of the project outside
test/ (or only FILEs), and the headers of the same folders, N files at a time (default: all
cores). Any finding fails (WarningsAsErrors in .clang-tidy). CMake's precompiled headers are g++ files that clang
cannot read, so the commands are rewritten to include the header's text instead.

A file that passed is not checked again until its command, its includes (from Ninja's
dependency log), .clang-tidy or clang-tidy itself change: BUILD_DIR/clang-tidy/passed/.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLANG_TIDY = shutil.which("clang-tidy") or "clang-tidy"


def rewrite(command, out_dir):
    """The compile command without g++'s precompiled header (its text is included instead)."""
    args, kept, pch = shlex.split(command), [], None
    i = 0
    while i < len(args):
        if args[i] == "-include" and args[i + 1].endswith("cmake_pch.hxx"):
            pch = args[i + 1]
            copy = os.path.join(out_dir, os.path.basename(os.path.dirname(pch)) + ".hxx")
            shutil.copyfile(pch, copy)
            kept += ["-include", copy]
            i += 2
            continue
        if args[i] != "-Winvalid-pch":
            kept.append(args[i])
        i += 1
    return shlex.join(kept), pch


def ninja_deps(build):
    """Object file (relative to BUILD) → the files its last compilation read."""
    try:
        text = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    deps, current = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            current = line.split(": #deps")[0]
            deps[current] = [] if "(VALID)" in line else None
        elif line.strip() and current and deps[current] is not None:
            deps[current].append(line.strip())
    return deps


class Hasher:
    def __init__(self):
        self.files = {}

    def file(self, path):
        if path not in self.files:
            try:
                with open(path, "rb") as f:
                    self.files[path] = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                self.files[path] = "missing"
        return self.files[path]


def cache_key(entry, pch, deps, hasher, base, build):
    """A hash of everything the check of ENTRY reads, or None when that is not known."""
    args = shlex.split(entry["command"])
    if "-o" not in args:
        return None
    obj = os.path.relpath(os.path.join(entry["directory"], args[args.index("-o") + 1]), build)
    files = deps.get(obj)
    if not files:
        return None
    if pch:
        pch_obj = os.path.relpath(pch + ".gch", build)
        if not deps.get(pch_obj):
            return None
        files = files + deps[pch_obj]
    h = hashlib.sha256(base.encode())
    h.update(entry["command"].encode())
    for path in sorted(set(files)):
        h.update(f"{path}\0{hasher.file(path)}\0".encode())
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("-j", type=int, default=os.cpu_count() or 1)
    parser.add_argument("files", nargs="*")
    opts = parser.parse_args()
    build = os.path.abspath(opts.build)
    out_dir = os.path.join(build, "clang-tidy")
    passed_dir = os.path.join(out_dir, "passed")
    os.makedirs(passed_dir, exist_ok=True)

    wanted = {os.path.abspath(f) for f in opts.files}
    with open(os.path.join(build, "compile_commands.json")) as f:
        database = json.load(f)
    entries, folders = [], set()
    for entry in database:
        rel = os.path.relpath(entry["file"], ROOT)
        folder = rel.split(os.sep)[0]
        if (folder in ("test", "..") or os.path.abspath(entry["file"]).startswith(build + os.sep)
                or (wanted and entry["file"] not in wanted)):
            continue
        folders.add(folder)
        command, pch = rewrite(entry["command"], out_dir)
        entries.append((dict(entry, command=command), pch))
    root = re.sub(r"([.^$|()\[\]*+?{}\\])", r"\\\1", ROOT)  # an extended regex (POSIX)
    header_filter = "^%s/(%s)/[^/]*\\.hpp$" % (root, "|".join(sorted(folders)))
    with open(os.path.join(out_dir, "compile_commands.json"), "w") as f:
        json.dump([e for e, _ in entries], f, indent=1)

    version = subprocess.run([CLANG_TIDY, "--version"], capture_output=True, text=True).stdout
    with open(os.path.join(ROOT, ".clang-tidy")) as f:
        base = version + header_filter + f.read()
    deps, hasher = ninja_deps(build), Hasher()

    def check(item):
        entry, pch = item
        key = cache_key(entry, pch, deps, hasher, base, build)
        if key and os.path.exists(os.path.join(passed_dir, key)):
            return entry["file"], 0, "", True
        run = subprocess.run([CLANG_TIDY, "-p", out_dir, "--quiet",
                              "--header-filter=" + header_filter, entry["file"]],
                             capture_output=True, text=True)
        if run.returncode == 0 and key:
            open(os.path.join(passed_dir, key), "w").close()
        return entry["file"], run.returncode, run.stdout + run.stderr, False

    failed = cached = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.j)) as pool:
        for path, code, output, hit in pool.map(check, entries):
            cached += hit
            if code != 0:
                failed += 1
                print(f"== {os.path.relpath(path, ROOT)}\n{output}", flush=True)
    print(f"clang-tidy: {len(entries)} files ({cached} unchanged since they passed), "
          f"{failed} with findings")
    return 1 if failed or not entries else 0


if __name__ == "__main__":
    sys.exit(main())
