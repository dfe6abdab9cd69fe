"""port53d's own start-up checks: a broken config file must stop it with a
message that points at the file and line (only meaningful for port53d)."""
import subprocess

import pytest

from conftest import PORT53D, port53d_only

GOOD_HEAD = '[server]\nlisten = ["127.53.0.1:53"]\n'

BAD_CONFIGS = {
    # name: (file text, line the error is on)
    "syntax": (GOOD_HEAD + "threads = = 2\n", 3),
    "unterminated-string": (GOOD_HEAD + 'log_level = "info\n', 3),
    "wrong-type": (GOOD_HEAD + 'threads = "two"\n', 3),
    "bad-listen": ('[server]\n\nlisten = ["not-an-address"]\n', 3),
    "bad-local-record": (GOOD_HEAD + '[local]\ndata = ["nas.home.arpa. IN A 999.1.1.1"]\n', 4),
    "bad-local-zone": (GOOD_HEAD + '[local]\n\nzones = ["corp.example. sometimes"]\n', 5),
    "unknown-default-zone": (GOOD_HEAD + '[local]\nno_default = ["example."]\n', 4),
}


def run_port53d(conf_path):
    try:
        return subprocess.run([PORT53D, "-c", str(conf_path)], capture_output=True,
                              text=True, timeout=10)
    except FileNotFoundError:
        pytest.fail("port53d binary not found at %r (set PORT53D)" % PORT53D, pytrace=False)
    except subprocess.TimeoutExpired:
        pytest.fail("port53d kept running with a broken config %s" % conf_path, pytrace=False)


@port53d_only
@pytest.mark.parametrize("kind", sorted(BAD_CONFIGS))
def test_bad_config_exits_with_file_and_line(tmp_path, kind):
    text, line = BAD_CONFIGS[kind]
    conf = tmp_path / ("bad-%s.toml" % kind)
    conf.write_text(text)
    res = run_port53d(conf)
    out = res.stdout + res.stderr
    assert res.returncode != 0, "exit 0 with a broken config:\n" + out
    assert "%s:%d:" % (conf, line) in out, "no '%s:%d:' in:\n%s" % (conf, line, out)


@port53d_only
def test_missing_config_file_exits_non_zero(tmp_path):
    missing = tmp_path / "nope.toml"
    res = run_port53d(missing)
    assert res.returncode != 0
    assert str(missing) in res.stdout + res.stderr
