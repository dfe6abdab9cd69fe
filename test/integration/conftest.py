"""Fixtures for the integration suite.

Environment:
  RESOLVER        port53d (default) or unbound: which resolver is under test
  PORT53D         path to the daemon, default <repo>/build/port53d
  PORT53_LAB_DIR  where the lab lives, default /tmp/port53-itest/run-<pid>
Run through test/integration/run.sh, which puts everything in a private
network namespace so nothing can leave the machine.
"""
import glob
import json
import os
import shutil
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "lab"))

from lab import Lab                      # noqa: E402
from resolver import Resolver, ResolverError  # noqa: E402
import zones                             # noqa: E402

KIND = os.environ.get("RESOLVER", "port53d")
PORT53D = os.environ.get("PORT53D", os.path.join(REPO, "build", "port53d"))
LAB_ROOT = "/tmp/port53-itest"


def reap_stale_labs():
    """Each run gets its own lab directory, so two runs at once (each in its
    own network namespace) do not kill each other's servers.  A run that was
    killed leaves its NSDs behind: stop those whose pytest is gone."""
    for d in glob.glob(os.path.join(LAB_ROOT, "run-*")):
        try:
            pid = int(d.rsplit("-", 1)[1])
            alive = b"pytest" in open("/proc/%d/cmdline" % pid, "rb").read()
        except (ValueError, OSError):
            alive = False
        if not alive:
            Lab(d).stop()
            shutil.rmtree(d, ignore_errors=True)


LAB_DIR = os.environ.get("PORT53_LAB_DIR") or os.path.join(LAB_ROOT, "run-%d" % os.getpid())

port53d_only = pytest.mark.skipif(KIND != "port53d",
                                  reason="checks port53d itself, not the reference resolver")


def pytest_report_header(config):
    what = PORT53D if KIND == "port53d" else "unbound (reference)"
    return "resolver under test: %s; lab dir: %s" % (what, LAB_DIR)


@pytest.fixture(scope="session")
def lab():
    if "PORT53_LAB_DIR" not in os.environ:
        reap_stale_labs()
    lab = Lab(LAB_DIR)
    lab.start()
    yield lab
    lab.stop()      # the directory stays until the next run, for its logs


@pytest.fixture(scope="session")
def cases(lab):
    """The machine-readable cases file the lab wrote, by case id."""
    with open(lab.cases_file) as f:
        return {c["id"]: c for c in json.load(f)["cases"]}


class Resolvers:
    """At most one resolver runs at a time (they all listen on the same
    address): a fresh one for cold-cache tests, or a shared warm one."""

    def __init__(self, lab):
        self.lab, self.current, self.shared_ok = lab, None, False

    def _start(self):
        self.stop()
        r = Resolver(self.lab, KIND, PORT53D)
        try:
            r.start()
        except ResolverError as e:
            pytest.fail(str(e), pytrace=False)
        self.current = r
        return r

    def fresh(self):
        self.shared_ok = False
        return self._start()

    def shared(self):
        if not (self.shared_ok and self.current and self.current.running()):
            self._start()
            self.shared_ok = True
        return self.current

    def stop(self):
        if self.current:
            self.current.stop()
        self.current, self.shared_ok = None, False


@pytest.fixture(scope="session")
def resolvers(lab):
    rs = Resolvers(lab)
    yield rs
    rs.stop()


@pytest.fixture
def resolver(resolvers):
    """A freshly started resolver (empty cache), stopped after the test."""
    r = resolvers.fresh()
    yield r
    died = not r.running()
    resolvers.stop()
    if died:
        pytest.fail("%s died during the test:\n%s" % (KIND, r.log_tail()), pytrace=False)


@pytest.fixture
def shared_resolver(resolvers):
    """A resolver kept running across tests (warm cache, cheaper)."""
    r = resolvers.shared()
    yield r
    if not r.running():
        resolvers.stop()
        pytest.fail("%s died during the test:\n%s" % (KIND, r.log_tail()), pytrace=False)


def case_ids():
    """Case ids for parametrisation, known at collection time (before the lab
    exists); tests then read the case itself from the lab's cases.json."""
    return [c.id for c in zones.CASES]


class OwnPort53d:
    """A port53d of a test's own, on its own address and with its own config (the lab's,
    edited), so the shared resolver keeps running and timing is the test's alone."""

    def __init__(self, lab, tmp_path, addr, server="", resolver="", cache="", extra="",
                 log_level=None, name="own", binary=None):
        text = open(lab.port53_toml).read().replace('listen = ["127.53.0.1:53"]',
                                                    'listen = ["%s:53"]' % addr)
        for section, lines in (("server", server), ("resolver", resolver), ("cache", cache)):
            text = text.replace("[%s]\n" % section, "[%s]\n%s" % (section, lines), 1)
        if log_level:
            text = text.replace('log_level = "info"', 'log_level = "%s"' % log_level)
        self.conf = tmp_path / ("%s.toml" % name)
        self.conf.write_text(text + extra)
        self.log = tmp_path / ("%s.log" % name)
        self.addr = addr
        self.binary = binary or PORT53D  # e.g. the one a test unpacked from the .deb
        self.proc = None

    def __enter__(self):
        import subprocess
        import time
        import dns.exception
        import dns.message
        import dns.query
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=out,
                                         stderr=out)
        for _ in range(100):
            try:
                dns.query.udp(dns.message.make_query("lab.", "SOA"), self.addr, timeout=0.2)
                return self
            except (OSError, dns.exception.Timeout):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.__exit__(None, None, None)
        pytest.fail("port53d did not start:\n" + open(self.log).read(), pytrace=False)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)

    def log_text(self):
        return open(self.log).read()

    def asked_upstream(self, name, qtype=None):
        """The upstream queries it logged for `name` (debug lines "ask SERVER NAME/TYPE"),
        of any type or of `qtype` (a number: 1 for A)."""
        import re
        kind = r"\d+" if qtype is None else str(qtype)
        pattern = re.compile(r" ask \S+ %s/%s\b" % (re.escape(name), kind), re.IGNORECASE)
        return [l for l in self.log_text().splitlines() if pattern.search(l)]


def wait_for(cond, what, timeout=15.0):
    """Polls cond() every 0.1 s; fails the test naming `what` after `timeout` seconds."""
    import time
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.1)
    pytest.fail("timed out waiting for " + what, pytrace=False)
