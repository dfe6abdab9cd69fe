"""Starts and stops a resolver under test against a running Lab:
port53d (the project's daemon) or Unbound (the reference), in the foreground
as our child, so a test can restart it for a cold cache.
"""
import os
import signal
import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.query

from zones import PORT53D_ADDR, UNBOUND_ADDR


class ResolverError(RuntimeError):
    pass


class Resolver:
    def __init__(self, lab, kind="port53d", binary=None):
        if kind not in ("port53d", "unbound"):
            raise ValueError("unknown resolver kind %r" % kind)
        self.lab, self.kind, self.binary = lab, kind, binary
        self.addr = PORT53D_ADDR if kind == "port53d" else UNBOUND_ADDR
        self.port = 53
        self.proc = None
        self.log_path = lab.path("%s.out" % kind)
        self.pid_path = lab.path("%s.pid" % kind)

    def command(self):
        if self.kind == "port53d":
            return [self.binary, "-c", self.lab.port53_toml]
        # -d: stay in the foreground as our child; -p: no pid file to go stale
        return ["unbound", "-d", "-p", "-c", self.lab.unbound_conf]

    def start(self, timeout=10.0):
        if self.kind == "port53d" and not (self.binary and os.access(self.binary, os.X_OK)):
            raise ResolverError("port53d binary not found at %r: build it, or set "
                                "PORT53D=/path/to/port53d (or RESOLVER=unbound)" % self.binary)
        log = open(self.log_path, "ab")
        log.write(b"=== start %s\n" % " ".join(self.command()).encode())
        log.flush()
        # own session: a Ctrl-C on the test run does not hit the daemon first,
        # and stop() can signal the whole process group
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        # lets Lab.stop() find it if our own process dies without stopping it
        with open(self.pid_path, "w") as f:
            f.write("%d\n" % self.proc.pid)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                os.unlink(self.pid_path)
                raise ResolverError("%s exited with %s during start-up:\n%s"
                                    % (self.kind, code, self.log_tail()))
            if self.answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise ResolverError("%s did not answer on %s:53 within %.0fs:\n%s"
                            % (self.kind, self.addr, timeout, self.log_tail()))

    def answers(self):
        """Any reply at all means the UDP listener is up.  The probe is
        '. NS' with RD=0: a resolver answers it from cache or hints without
        recursing, so the first real query of a test still meets a cold cache."""
        q = dns.message.make_query(".", "NS")
        q.flags &= ~dns.flags.RD
        try:
            dns.query.udp(q, self.addr, timeout=0.2, port=self.port)
            return True
        except (OSError, dns.exception.DNSException):
            return False

    def stop(self, timeout=5.0):
        if not self.proc:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        self.proc = None
        try:
            os.unlink(self.pid_path)
        except OSError:
            pass

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=30):
        try:
            lines = open(self.log_path, errors="replace").readlines()[-n:]
        except OSError:
            lines = []
        if self.kind == "unbound":
            try:
                lines += open(self.lab.path("unbound", "unbound.log"),
                              errors="replace").readlines()[-n:]
            except OSError:
                pass
        return "".join(lines)
