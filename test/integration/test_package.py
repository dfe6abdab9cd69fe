"""The Debian package (issue 12, packaging): built from the port53d under test by
tools/build-deb.sh, unpacked into a scratch root (dpkg -x: nothing is installed on this
system), and the packaged port53d started from that root with the lab's configuration
(the lab's root hints, never the built-in ones) resolves a lab name for dig; the packaged
port53-ctl talks to it. test/check_package.py (ctest package_deb) checks the package's
metadata, file list, unit and man pages."""
import os
import re
import subprocess

import pytest

from conftest import PORT53D, REPO, OwnPort53d, port53d_only

ADDR = "127.53.0.85"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deb")
    built = subprocess.run([os.path.join(REPO, "tools", "build-deb.sh"),
                            os.path.dirname(PORT53D), str(tmp)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    subprocess.run(["dpkg", "-x", built.stdout.split()[-1], str(tmp / "root")], check=True)
    return tmp / "root"


@port53d_only
def test_packaged_daemon_resolves_a_lab_name(lab, root, tmp_path):
    daemon, ctl = root / "usr/sbin/port53d", root / "usr/sbin/port53-ctl"
    assert daemon.exists() and os.path.realpath(daemon) != os.path.realpath(PORT53D)
    sock = tmp_path / "control.sock"
    with OwnPort53d(lab, tmp_path, ADDR, binary=str(daemon),
                    extra='\n[control]\nsocket = "%s"\n' % sock) as own:
        dig = subprocess.run(["dig", "@" + ADDR, "+time=2", "+tries=1", "+dnssec",
                              "www.sec.lab.", "A"], capture_output=True, text=True, timeout=10)
        assert "status: NOERROR" in dig.stdout, dig.stdout
        assert re.search(r"^www\.sec\.lab\.\s+\d+\s+IN\s+A\s+\S+$", dig.stdout, re.M), dig.stdout
        assert re.search(r"^;; flags:[^;]* ad[ ;]", dig.stdout, re.M), "not validated: " + dig.stdout
        # The lab's root hints, not the built-in ones: it asked the lab's root.
        assert "root hints: %s" % lab.root_hints in own.log_text(), own.log_text()
        status = subprocess.run([str(ctl), "-s", str(sock), "status"], capture_output=True,
                                text=True, timeout=10)
        assert status.returncode == 0 and re.search(r"^version \d", status.stdout, re.M), status
