"""port53-ctl (issue 12, control tool): one command over port53d's control socket (mode
0660), "ok" and its output or an error with a scriptable exit status (0 ok, 1 refused,
2 no daemon or usage). status and stats report; flush forgets a name so the next question
goes upstream again while other names stay cached; log-level changes the log at once."""
import os
import re
import stat
import subprocess

import pytest

from conftest import PORT53D, OwnPort53d, port53d_only
from dnsclient import ask, rcode_text

ADDR = "127.53.0.39"
CTL = os.path.join(os.path.dirname(PORT53D), "port53-ctl")


@pytest.fixture(scope="module")
def own(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("control")
    sock = tmp / "control.sock"
    with OwnPort53d(lab, tmp, ADDR, extra='\n[control]\nsocket = "%s"\n' % sock) as p:
        p.sock = str(sock)
        yield p


def ctl(*args, sock=None, conf=None):
    where = ["-s", sock] if sock else ["-c", conf]
    return subprocess.run([CTL, *where, *args], capture_output=True, text=True, timeout=10)



@port53d_only
def test_status_and_stats_through_socket_or_config(own):
    assert stat.S_IMODE(os.stat(own.sock).st_mode) == 0o660
    r = ctl("status", conf=str(own.conf))
    assert r.returncode == 0, r
    assert re.search(r"^version \d+\.\d+\.\d+$", r.stdout, re.M), r.stdout
    assert re.search(r"^workers \d+$", r.stdout, re.M), r.stdout
    r = ctl("stats", sock=own.sock)
    assert r.returncode == 0, r
    assert re.search(r'^port53_cache_entries\{cache="answers"\} \d+$', r.stdout, re.M), r.stdout
    assert "# HELP" not in r.stdout


@port53d_only
def test_flush_sends_the_next_question_upstream_and_keeps_the_rest(own):
    ctl("log-level", "debug", sock=own.sock)
    for name in ("mail.sec.lab.", "www.sec.lab."):
        _, r = ask(ADDR, name, "A")
        assert rcode_text(r) == "NOERROR", r
    mail, www = len(own.asked_upstream("mail.sec.lab.")), len(own.asked_upstream("www.sec.lab."))
    assert mail >= 1
    r = ctl("flush", "mail.sec.lab", sock=own.sock)
    assert r.returncode == 0 and re.search(r"[1-9]\d* cache entries forgotten", r.stdout), r
    for name in ("mail.sec.lab.", "www.sec.lab."):
        ask(ADDR, name, "A")
    assert len(own.asked_upstream("mail.sec.lab.")) > mail, "flushed name answered from cache"
    assert len(own.asked_upstream("www.sec.lab.")) == www, "flush forgot other names"
    assert ctl("flush-all", sock=own.sock).returncode == 0
    ask(ADDR, "www.sec.lab.", "A")
    assert len(own.asked_upstream("www.sec.lab.")) > www


@port53d_only
def test_log_level_applies_at_once(own):
    assert ctl("log-level", "warning", sock=own.sock).returncode == 0
    assert re.search(r"^log-level warning$", ctl("status", sock=own.sock).stdout, re.M)
    before = own.log_text()
    ask(ADDR, "short.sec.lab.", "A")
    assert own.log_text() == before, "debug lines logged at warning"
    assert ctl("log-level", "debug", sock=own.sock).returncode == 0


@port53d_only
@pytest.mark.parametrize("args,code,text", [
    (["flush"], 1, "error: not a command"),
    (["flush", "bad..name"], 1, "error: not a domain name"),
    (["log-level", "loud"], 1, "error: log levels"),
    (["reboot"], 1, "error: not a command"),
])
def test_bad_commands_are_refused_with_status_1(own, args, code, text):
    r = ctl(*args, sock=own.sock)
    assert r.returncode == code and text in r.stderr, r


@port53d_only
def test_no_daemon_is_status_2(tmp_path):
    r = ctl("status", sock=str(tmp_path / "nothing.sock"))
    assert r.returncode == 2 and "is port53d running" in r.stderr, r
    r = subprocess.run([CTL], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "usage" in r.stderr, r
