#include "cache/rrset_cache.hpp"

#include <catch2/catch.hpp>

#include "base/clock.hpp"
#include "helpers.hpp"

using namespace port53;
using namespace port53::test;
using cache::Credibility;
using cache::Trust;
using wire::type::A;

namespace {
Trust trust(Credibility c, wire::Security s = wire::Security::unchecked) {
    return Trust{c, s};
}
}  // namespace

TEST_CASE("cached TTLs count down and entries expire", "[rrset]") {
    base::ManualClock clock;
    cache::RRsetCache c(1 << 20, 4, {});
    c.put({a("www.example", "192.0.2.1", 100), a("www.example", "192.0.2.2", 50)}, {},
          trust(Credibility::auth_answer), clock.now());
    auto got = c.get(N("WWW.example"), A, 1, clock.now());
    REQUIRE(got);
    CHECK(got->records.size() == 2);
    CHECK(got->records.front().ttl == 50);  // the RRset's TTL is its smallest
    clock.advance(20);
    CHECK(c.get(N("www.example"), A, 1, clock.now())->records.front().ttl == 30);
    clock.advance(30);
    CHECK_FALSE(c.get(N("www.example"), A, 1, clock.now()));
}

TEST_CASE("TTL limits and signature caps clamp what is stored", "[rrset]") {
    base::ManualClock clock;
    cache::RRsetCache c(1 << 20, 4, {10, 1000, 60});
    c.put({a("low.example", "192.0.2.1", 1)}, {}, trust(Credibility::answer), clock.now());
    c.put({a("high.example", "192.0.2.1", 99999)}, {}, trust(Credibility::answer), clock.now());
    c.put({a("signed.example", "192.0.2.1", 500)}, {}, trust(Credibility::answer), clock.now(), 40);
    CHECK(c.get(N("low.example"), A, 1, clock.now())->records.front().ttl == 10);
    CHECK(c.get(N("high.example"), A, 1, clock.now())->records.front().ttl == 1000);
    CHECK(c.get(N("signed.example"), A, 1, clock.now())->records.front().ttl == 40);
}

TEST_CASE("glue never replaces authoritative data; answers replace glue", "[rrset]") {
    base::ManualClock clock;
    cache::RRsetCache c(1 << 20, 4, {});
    c.put({a("ns.example", "192.0.2.1")}, {}, trust(Credibility::auth_answer), clock.now());
    c.put({a("ns.example", "198.51.100.66")}, {}, trust(Credibility::glue), clock.now());
    CHECK(c.get(N("ns.example"), A, 1, clock.now())->records.front().rdata == ipv4("192.0.2.1"));
    c.put({a("ns2.example", "198.51.100.66")}, {}, trust(Credibility::glue), clock.now());
    c.put({a("ns2.example", "192.0.2.2")}, {}, trust(Credibility::auth_answer), clock.now());
    CHECK(c.get(N("ns2.example"), A, 1, clock.now())->records.front().rdata == ipv4("192.0.2.2"));
}

TEST_CASE("signatures and security are kept with the RRset", "[rrset]") {
    base::ManualClock clock;
    cache::RRsetCache c(1 << 20, 4, {});
    auto sig = rr("www.example", wire::type::RRSIG, 300, std::string(30, '\x01'));
    c.put({a("www.example", "192.0.2.1")}, {sig},
          trust(Credibility::auth_answer, wire::Security::secure), clock.now());
    auto got = c.get(N("www.example"), A, 1, clock.now());
    REQUIRE(got);
    CHECK(got->rrsigs.size() == 1);
    CHECK(got->rrsigs[0].rdata == sig.rdata);
    CHECK(got->trust.security == wire::Security::secure);
}

TEST_CASE("negative answers use the SOA minimum and cover every type for NXDOMAIN", "[rrset]") {
    base::ManualClock clock;
    cache::RRsetCache c(1 << 20, 4, {0, 86400, 3600});
    c.put_negative(N("nope.example"), A, 1, true, {soa("example", 300, 60)},
                   trust(Credibility::auth_authority), clock.now());
    auto neg = c.get_negative(N("nope.example"), wire::type::MX, 1, clock.now());
    REQUIRE(neg);
    CHECK(neg->nxdomain);
    REQUIRE(neg->authority.size() == 1);
    CHECK(neg->authority[0].ttl == 60);
    CHECK(neg->authority[0].owner == N("example"));
    c.put_negative(N("www.example"), wire::type::AAAA, 1, false, {soa("example", 30, 600)},
                   trust(Credibility::auth_authority), clock.now());
    CHECK(c.get_negative(N("www.example"), wire::type::AAAA, 1, clock.now())->authority[0].ttl ==
          30);
    CHECK_FALSE(c.get_negative(N("www.example"), A, 1, clock.now()));
    clock.advance(61);
    CHECK_FALSE(c.get_negative(N("nope.example"), A, 1, clock.now()));
}
