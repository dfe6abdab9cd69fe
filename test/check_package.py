#!/usr/bin/python3
"""The Debian package (issue 12): builds it with tools/build-deb.sh from BUILD_DIR, then
checks what dpkg-deb says of it (metadata, Depends from shlibdeps, conffiles, maintainer
scripts, file list), unpacks it into a scratch root (dpkg -x: nothing is installed on
this system) and checks the unit, the man pages and the default configuration there.
lintian's tags are printed, not judged, when lintian is installed.
    test/check_package.py BUILD_DIR"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["./usr/sbin/port53d", "./usr/sbin/port53-ctl", "./etc/port53/port53d.toml",
         "./lib/systemd/system/port53d.service", "./usr/share/man/man8/port53d.8.gz",
         "./usr/share/man/man8/port53-ctl.8.gz", "./usr/share/man/man5/port53d.toml.5.gz",
         "./usr/share/doc/port53/README.md"]
HARDENING = ["User=port53", "NoNewPrivileges=yes", "ProtectSystem=strict",
             "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "RuntimeDirectory=port53",
             "SystemCallFilter=@system-service", "PrivateDevices=yes"]
failures = []


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw).stdout


def expect(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def check_metadata(deb):
    field = lambda name: run("dpkg-deb", "-f", deb, name).strip()  # noqa: E731
    expect(field("Package") == "port53", "Package: port53")
    expect(field("Architecture") == run("dpkg", "--print-architecture").strip(),
           "Architecture: this machine's")
    depends = field("Depends")
    print("      Depends: " + depends)
    for lib in ("adduser", "libc6", "libssl3", "libldns", "libnghttp2", "libcurl", "libhiredis",
                "libstdc++6"):
        expect(re.search(r"(^|, )%s[\w.+-]*( \(|,|$)" % re.escape(lib), depends) is not None,
               "Depends names " + lib)
    expect(run("dpkg-deb", "-I", deb, "conffiles").split() == ["/etc/port53/port53d.toml"],
           "conffiles: /etc/port53/port53d.toml only")
    postinst = run("dpkg-deb", "-I", deb, "postinst")
    expect(re.search(r"adduser --system .*port53$", postinst, re.M) is not None,
           "postinst creates the system user port53")
    for script in ("postinst", "prerm", "postrm"):
        text = run("dpkg-deb", "-I", deb, script)
        sh = subprocess.run(["sh", "-n"], input=text, text=True, capture_output=True)
        expect(sh.returncode == 0, script + " is valid sh: " + sh.stderr.strip())
    listing = run("dpkg-deb", "-c", deb)
    paths = [line.split()[5] for line in listing.splitlines()]
    for f in FILES:
        expect(f in paths, "holds " + f)
    stray = [p for p in paths if not re.match(r"\./(usr|etc|lib)(/|$)|\./$", p)]
    expect(not stray, "nothing outside /usr, /etc and /lib: %s" % stray)
    mode = [l.split()[0] for l in listing.splitlines() if l.endswith("./usr/sbin/port53d")]
    expect(mode == ["-rwxr-xr-x"], "port53d is mode 0755 (%s)" % mode)


def check_unpacked(root):
    unit = open(os.path.join(root, "lib/systemd/system/port53d.service")).read()
    execs = re.findall(r"^ExecStart(?:Pre)?=(\S+)", unit, re.M)
    expect(execs and all(e == "/usr/sbin/port53d" for e in execs),
           "unit starts /usr/sbin/port53d: %s" % execs)
    expect(os.access(os.path.join(root, "usr/sbin/port53d"), os.X_OK), "and the package has it")
    for line in HARDENING:
        expect(re.search("^%s$" % re.escape(line), unit, re.M) is not None, "unit: " + line)
    check_exposure(root)
    daemon = os.path.join(root, "usr/sbin/port53d")
    expect("not stripped" not in run("file", daemon), "port53d is stripped")
    config = os.path.join(root, "etc/port53/port53d.toml")
    expect(re.search(r'^\[control\].*\nsocket = "/run/port53/control.sock"$', open(config).read(),
                     re.M) is not None, "the packaged config has the control socket on")
    check = subprocess.run([daemon, "--check", "-c", config],
                           capture_output=True, text=True)
    expect(check.returncode == 0, "the packaged port53d accepts the packaged config: "
           + (check.stdout + check.stderr).strip())
    check_manpages(root, daemon)


def check_exposure(root):
    """systemd's own rating of the sandbox (0 best, 10 worst); 'OK' is below 4."""
    if not shutil.which("systemd-analyze"):
        print("      systemd-analyze is not installed: exposure not rated")
        return
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--root=" + root,
                        "port53d.service"], capture_output=True, text=True)
    level = re.search(r"Overall exposure level for port53d.service: ([\d.]+)", r.stdout)
    expect(level is not None and float(level.group(1)) <= 2.0,
           "systemd-analyze security: exposure %s (at most 2.0)" % (level and level.group(1)))


def check_manpages(root, daemon):
    man5 = run("sh", "-c", "gzip -dc '%s'" % os.path.join(root, "usr/share/man/man5/port53d.toml.5.gz"))
    reference = run(daemon, "--config-reference")
    keys = re.findall(r"^\| `([\w.]+)` \|", reference, re.M)
    missing = [k for k in keys if "\n.B %s\n" % k.split(".", 1)[1].replace("-", "\\-") not in man5]
    expect(len(keys) > 50 and not missing, "port53d.toml(5) has all %d settings of the table "
           "(missing: %s)" % (len(keys), missing))
    if shutil.which("groff"):
        for page in ("man8/port53d.8.gz", "man8/port53-ctl.8.gz", "man5/port53d.toml.5.gz"):
            text = run("sh", "-c", "gzip -dc '%s'" % os.path.join(root, "usr/share/man", page))
            g = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=text, text=True,
                               capture_output=True)
            expect(g.returncode == 0 and not g.stderr.strip(),
                   "groff renders %s without warnings %s" % (page, g.stderr.strip()[:300]))


def lintian(deb):
    if not shutil.which("lintian"):
        print("      lintian is not installed: skipped")
        return
    r = subprocess.run(["lintian", "--tag-display-limit", "0", deb], capture_output=True, text=True)
    print("      lintian (reported, not judged):\n" + (r.stdout + r.stderr or "      no tags\n"))


def main():
    build = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="port53-deb-") as tmp:
        deb = run(os.path.join(REPO, "tools", "build-deb.sh"), build, tmp).split()[-1]
        print("built %s (%d kB)" % (os.path.basename(deb), os.path.getsize(deb) // 1024))
        check_metadata(deb)
        root = os.path.join(tmp, "root")
        run("dpkg", "-x", deb, root)
        check_unpacked(root)
        lintian(deb)
    print("package: %d check(s) failed" % len(failures) if failures else "package: all checks ok")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
