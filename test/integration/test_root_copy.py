"""A local copy of the root zone (RFC 8806, issue 11): port53d transfers the lab's root zone
from its NSD server, then takes referrals, denials and the root's keys from the copy instead
of asking the root server, and validates them as it would the server's answers: a forged
record in the copy fails validation and the root server is asked instead, so the forgery is
never believed."""
import re

import dns.flags
import pytest

from conftest import OwnPort53d, port53d_only, wait_for
from dnsclient import answer_set, ask, rcode_text

ADDR = "127.53.0.90"        # port53d with a copy transferred from the lab's root server
FORGED_ADDR = "127.53.0.91"  # port53d with a forged copy on disk and no primary to ask
NOBODY = "127.53.0.94"      # nothing listens here
ROOT_SERVER = "127.100.0.1"  # the lab's root server (tools/lab/zones.py)

COPY = """
[[secondary]]
zone = "."
primaries = ["{primary}"]
file = "{file}"
"""


def root_queries(own):
    """Queries the resolver logged to the lab's root server ("ask SERVER NAME/TYPE")."""
    return [l for l in own.log_text().splitlines() if re.search(r" ask %s[:@ ]" % ROOT_SERVER, l)]


@pytest.fixture(scope="module")
def copy(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rootcopy")
    path = tmp / "root.zone"
    extra = COPY.format(primary=ROOT_SERVER, file=path)
    # A first run transfers the zone and writes the copy; the second starts from it, so
    # every root question of its life (priming included) is one for the copy.
    with OwnPort53d(lab, tmp, ADDR, extra=extra, name="transfer") as first:
        wait_for(lambda: "secondary .: serial" in first.log_text(), "the root zone transferred")
    with OwnPort53d(lab, tmp, ADDR, extra=extra, log_level="debug") as own:
        yield own, path


@port53d_only
@pytest.mark.parametrize("qname,qtype,rcode,want", [
    ("www.sec.lab.", "A", "NOERROR", ["www.sec.lab. A 192.0.2.1"]),
    ("www.provider.example.", "A", "NOERROR", ["www.provider.example. A 198.51.100.10"]),
    ("nosuchtld.", "A", "NXDOMAIN", []),
    ("lab.", "DS", "NOERROR", None),
    (".", "DNSKEY", "NOERROR", None),
])
def test_resolved_through_the_copy_and_validated(copy, qname, qtype, rcode, want):
    own, _ = copy
    _, r = ask(ADDR, qname, qtype)
    assert rcode_text(r) == rcode, r
    if want is not None:
        assert answer_set(r) == want, r
    else:
        assert r.answer, r
    # Validated from the root's keys down, as the root server's answers would be.
    assert r.flags & dns.flags.AD, "not validated:\n%s" % r
    # Not answered as our own zone: the copy stands in for the root server (RFC 8806 §3).
    assert not r.flags & dns.flags.AA, r
    assert root_queries(own) == [], "the root server was asked"
    assert "copy of . answers" in own.log_text()


@port53d_only
def test_forged_copy_is_not_believed(copy, lab, tmp_path):
    _, path = copy
    text = path.read_text()
    # Change the last digit of lab.'s DS digest: its RRSIG no longer matches.
    ds = re.search(r"^lab\.\s+\d+\s+IN\s+DS\s+.*$", text, re.MULTILINE)
    assert ds, "no DS for lab. in the copy:\n" + text[:2000]
    line = ds.group(0)
    forged = line[:-1] + ("0" if line[-1] != "0" else "1")
    bad = tmp_path / "root.zone"
    bad.write_text(text.replace(line, forged))
    # The primary is unreachable: the forged file on disk is all it has (until SOA expire).
    extra = COPY.format(primary=NOBODY, file=bad)
    with OwnPort53d(lab, tmp_path, FORGED_ADDR, extra=extra, log_level="debug",
                    name="forged") as own:
        _, r = ask(FORGED_ADDR, "www.sec.lab.", "A")
        log = own.log_text()
        assert "copy of . answers" in log
        # The forged DS fails its signature: the root server is asked instead (RFC 8806
        # §3: a copy that does not validate is not used), and the answer is the true one.
        assert rcode_text(r) == "NOERROR" and r.flags & dns.flags.AD, r
        assert answer_set(r) == ["www.sec.lab. A 192.0.2.1"], r
        assert re.search(r" ask %s\S* lab\./43\b" % ROOT_SERVER, log), \
            "the root server was not asked for lab.'s DS:\n" + log[-3000:]
        # Outside the forged part the copy still serves, validated, with no question to
        # the root server.
        before = len(root_queries(own))
        _, r = ask(FORGED_ADDR, "www.provider.example.", "A")
        assert rcode_text(r) == "NOERROR" and r.flags & dns.flags.AD, r
        assert root_queries(own)[before:] == []
