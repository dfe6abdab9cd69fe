"""TTLs: they count down on cache hits, never grow, and an expired record is
fetched again rather than served stale."""
import time

from dnsclient import answer_set, make, rcode_text, udp


def ttl_of(resp, section="answer"):
    rrsets = getattr(resp, section)
    assert rrsets, "empty %s section" % section
    return min(rrset.ttl for rrset in rrsets)


def test_ttl_counts_down_on_warm_hits(resolver):
    q = lambda: udp(resolver.addr, make("www.target.example.", "A"))  # noqa: E731
    t1 = ttl_of(q())
    assert 290 <= t1 <= 300, "fresh from the zone (TTL 300)"
    time.sleep(2.2)
    t2 = ttl_of(q())
    assert 1 <= t1 - t2 <= 4, "TTL %d then %d after 2.2 s" % (t1, t2)


def test_negative_answer_ttl_counts_down(resolver):
    # the SOA in the authority section carries the negative-cache TTL (60)
    q = lambda: udp(resolver.addr, make("gone.sec.lab.", "A"))  # noqa: E731
    r1 = q()
    assert rcode_text(r1) == "NXDOMAIN"
    t1 = ttl_of(r1, "authority")
    assert t1 <= 60
    time.sleep(2.2)
    r2 = q()
    assert rcode_text(r2) == "NXDOMAIN"
    t2 = ttl_of(r2, "authority")
    assert 1 <= t1 - t2 <= 4, "negative TTL %d then %d after 2.2 s" % (t1, t2)


def test_short_ttl_record_expires_and_is_refetched(resolver):
    q = lambda: udp(resolver.addr, make("short.sec.lab.", "A"))  # noqa: E731
    expected = ["short.sec.lab. A 192.0.2.5"]
    r1 = q()
    assert answer_set(r1) == expected
    assert ttl_of(r1) <= 5
    time.sleep(6.2)          # past the 5 s TTL: the cached copy is gone
    r2 = q()
    assert answer_set(r2) == expected
    # a fresh copy: positive again, and never above the zone's TTL
    assert 1 <= ttl_of(r2) <= 5
