#!/usr/bin/python3
"""Loopback DNS lab: a signed DNS hierarchy served by one NSD per server on
127.100.0.0/16, plus the files a resolver needs to use it.

    /usr/bin/python3 tools/lab/lab.py up     [--dir DIR] [--unbound] [--unbound-threads N]
    /usr/bin/python3 tools/lab/lab.py down   [--dir DIR]
    /usr/bin/python3 tools/lab/lab.py status [--dir DIR]

Everything generated lives in DIR (keys, zones, configs, logs, pid files).
Safer inside a private network namespace:
    unshare --net bash -c 'ip link set lo up; /usr/bin/python3 tools/lab/lab.py up'
(the lab's processes stay in that namespace after the shell exits; `down`
works from anywhere because it only uses pid files).
"""
import argparse
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dns.exception  # noqa: E402
import dns.flags     # noqa: E402
import dns.message   # noqa: E402
import dns.query     # noqa: E402
import dns.rcode     # noqa: E402

import build         # noqa: E402
from zones import SERVERS, ZONES, UNBOUND_ADDR  # noqa: E402

DEFAULT_DIR = "/tmp/port53-lab"
MARKER = ".port53-lab"      # only directories carrying it are ever wiped


def read_pid(pidfile):
    try:
        return int(open(pidfile).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid, must_contain):
    """True if pid runs and its command line mentions must_contain (guards
    against killing an unrelated process that reused a stale pid)."""
    try:
        cmdline = open("/proc/%d/cmdline" % pid, "rb").read().replace(b"\0", b" ")
    except OSError:
        return False
    return must_contain.encode() in cmdline


def kill_pidfile(pidfile, must_contain, timeout=5.0):
    pid = read_pid(pidfile)
    if pid and pid_alive(pid, must_contain):
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while pid_alive(pid, must_contain) and time.time() < deadline:
            time.sleep(0.05)
        if pid_alive(pid, must_contain):
            os.kill(pid, signal.SIGKILL)
    try:
        os.unlink(pidfile)
    except OSError:
        pass


def soa_ok(addr, zone, timeout=0.3):
    """The server answers SOA for the zone authoritatively over UDP."""
    q = dns.message.make_query(zone, "SOA")
    q.flags &= ~dns.flags.RD
    try:
        r = dns.query.udp(q, addr, timeout=timeout)
    except (OSError, dns.exception.DNSException):
        return False
    return r.rcode() == dns.rcode.NOERROR and bool(r.flags & dns.flags.AA)


def tail(path, n=15):
    try:
        return "".join(open(path, errors="replace").readlines()[-n:])
    except OSError:
        return "(no %s)\n" % path


class Lab:
    def __init__(self, directory=DEFAULT_DIR, unbound_threads=1):
        self.dir = os.path.abspath(directory)
        self.unbound_threads = unbound_threads
        self.confs = {}

    # paths other code uses
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def root_hints(self):
        return self.path("root.hints")

    @property
    def trust_anchor(self):
        return self.path("root.key")

    @property
    def cases_file(self):
        return self.path("cases.json")

    @property
    def port53_toml(self):
        return self.path("port53.toml")

    @property
    def unbound_conf(self):
        return self.path("unbound.conf")

    def nsd_dirs(self):
        return sorted(glob.glob(self.path("nsd", "*")))

    def start(self, timeout=10.0):
        self.stop()
        self._reset_dir()
        t0 = time.time()
        self.confs = build.build(self.dir, self.unbound_threads)
        for server, conf in self.confs.items():
            res = subprocess.run(["nsd", "-c", conf], capture_output=True, text=True)
            if res.returncode != 0:
                self.stop()
                raise RuntimeError("nsd for %s (%s) failed to start: %s\n%s" % (
                    server, SERVERS[server], res.stderr.strip(),
                    tail(os.path.dirname(conf) + "/nsd.log")))
        self._wait_ready(timeout)
        return time.time() - t0

    def stop_server(self, server):
        """Stops one NSD (e.g. to test how resolvers cope with a dead authority)."""
        sdir = self.path("nsd", server)
        kill_pidfile(os.path.join(sdir, "nsd.pid"), sdir)

    def start_server(self, server, timeout=10.0):
        """Starts one NSD again after stop_server() and waits for its zones."""
        conf = self.path("nsd", server, "nsd.conf")
        subprocess.run(["nsd", "-c", conf], check=True, capture_output=True)
        deadline = time.time() + timeout
        for z in ZONES:
            while server in z.servers and not soa_ok(SERVERS[server], z.name):
                if time.time() > deadline:
                    raise RuntimeError("nsd for %s did not come back" % server)
                time.sleep(0.05)

    def _wait_ready(self, timeout):
        """Every zone on every server must answer SOA before we return."""
        pending = [(s, z.name) for z in ZONES for s in z.servers]
        deadline = time.time() + timeout
        while pending and time.time() < deadline:
            pending = [(s, z) for s, z in pending if not soa_ok(SERVERS[s], z)]
            if pending:
                time.sleep(0.05)
        if pending:
            msgs = ["%s on %s (%s)" % (z, s, SERVERS[s]) for s, z in pending]
            logs = "".join("--- %s/nsd.log\n%s" % (s, tail(self.path("nsd", s, "nsd.log")))
                           for s in sorted({s for s, _ in pending}))
            self.stop()
            raise RuntimeError("lab not ready after %.0fs: no SOA for %s\n%s"
                               % (timeout, ", ".join(msgs), logs))

    def _reset_dir(self):
        if os.path.isdir(self.dir) and os.listdir(self.dir):
            if not os.path.exists(self.path(MARKER)):
                raise RuntimeError("%s is not empty and is not a lab directory "
                                   "(no %s): refusing to wipe it" % (self.dir, MARKER))
            shutil.rmtree(self.dir)
        os.makedirs(self.dir, exist_ok=True)
        open(self.path(MARKER), "w").close()

    def stop(self):
        """Stops every NSD (and a lab-started Unbound) recorded in pid files."""
        for sdir in self.nsd_dirs():
            kill_pidfile(os.path.join(sdir, "nsd.pid"), sdir)
        kill_pidfile(self.path("unbound", "unbound.pid"), self.dir)
        # resolvers started by resolver.py (they may outlive a killed test run)
        for pidfile in glob.glob(self.path("*.pid")):
            kill_pidfile(pidfile, self.dir)

    def status(self):
        """[(server, address, pid or None, zones)]"""
        out = []
        for server, addr in sorted(SERVERS.items(), key=lambda kv: socket.inet_aton(kv[1])):
            sdir = self.path("nsd", server)
            pid = read_pid(os.path.join(sdir, "nsd.pid"))
            alive = pid if pid and pid_alive(pid, sdir) else None
            zones = [z.name for z in ZONES if server in z.servers]
            out.append((server, addr, alive, zones))
        return out

    def start_unbound(self):
        """Daemonised Unbound on UNBOUND_ADDR for manual use (the tests run
        their own, see resolver.py)."""
        res = subprocess.run(["unbound", "-c", self.unbound_conf], capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError("unbound failed: %s\n%s" % (
                res.stderr.strip(), tail(self.path("unbound", "unbound.log"))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["up", "down", "status"])
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--unbound", action="store_true",
                    help="also start Unbound on %s:53 (up only)" % UNBOUND_ADDR)
    ap.add_argument("--unbound-threads", type=int, default=1)
    args = ap.parse_args(argv)
    lab = Lab(args.dir, args.unbound_threads)
    if args.action == "up":
        try:
            took = lab.start()
            if args.unbound:
                lab.start_unbound()
        except RuntimeError as e:
            print("lab up failed: %s" % e, file=sys.stderr)
            return 1
        print("lab up in %.1fs, dir %s" % (took, lab.dir))
        for server, addr, pid, zones in lab.status():
            print("  %-9s %-13s pid %-7s %s" % (server, addr, pid, " ".join(zones)))
        print("  root.hints, root.key, port53.toml, unbound.conf, cases.json in %s" % lab.dir)
        if args.unbound:
            print("  unbound on %s:53" % UNBOUND_ADDR)
    elif args.action == "down":
        lab.stop()
        print("lab down (%s)" % lab.dir)
    else:
        down = 0
        for server, addr, pid, zones in lab.status():
            down += pid is None
            print("%-9s %-13s %-9s %s" % (server, addr, "pid %d" % pid if pid else "DOWN",
                                           " ".join(zones)))
        return 1 if down else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
