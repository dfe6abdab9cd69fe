#include "local/local_zones.hpp"

#include <catch2/catch.hpp>

#include "base/clock.hpp"
#include "dnssec/denial.hpp"
#include "helpers.hpp"
#include "local/special_use.hpp"
#include "test/replay/zone_signer.hpp"
#include "wire/types.hpp"
#include "wire/zone_file.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;
using Kind = engine::Step::Kind;

namespace {

Question q(const char* name, uint16_t t) {
    return Question{N(name), t, cls::IN};
}

local::LocalZones defaults(std::vector<std::string> off = {}) {
    local::LocalZones z;
    local::add_special_use_zones(z, off);
    return z;
}

}  // namespace

TEST_CASE("localhost and every name below it are the loopback address", "[local]") {
    auto z = defaults();
    for (const char* name : {"localhost.", "LocalHost.", "printer.localhost."}) {
        auto s = z.lookup(q(name, type::A));
        REQUIRE(s);
        CHECK(s->kind == Kind::answer);
        CHECK(s->authoritative);
        REQUIRE(s->records.size() == 1);
        CHECK(s->records[0].rdata == ipv4("127.0.0.1"));
        CHECK(s->records[0].owner == N(name));
    }
    auto six = z.lookup(q("localhost.", type::AAAA));
    REQUIRE(six);
    REQUIRE(six->records.size() == 1);
    CHECK(six->records[0].rdata.size() == 16);
}

TEST_CASE("special-use and private reverse names end here with NXDOMAIN and an SOA", "[local]") {
    auto z = defaults();
    for (const char* name :
         {"foo.test.", "x.invalid.", "nas.local.", "abc.onion.", "nas.home.arpa.",
          "10.1.168.192.in-addr.arpa.", "5.0.0.10.in-addr.arpa.", "1.0.20.172.in-addr.arpa.",
          "1.0.64.100.in-addr.arpa.", "1.2.254.169.in-addr.arpa.",
          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa."}) {
        INFO(name);
        auto s = z.lookup(q(name, type::PTR));
        REQUIRE(s);
        CHECK(s->kind == Kind::nxdomain);
        CHECK(s->authoritative);
        REQUIRE(s->authority.size() == 1);
        CHECK(s->authority[0].type == type::SOA);
    }
    // Public names and public reverse ranges are not ours.
    CHECK_FALSE(z.lookup(q("www.example.", type::A)));
    CHECK_FALSE(z.lookup(q("1.0.32.172.in-addr.arpa.", type::PTR)));
    CHECK_FALSE(z.lookup(q("1.0.0.99.in-addr.arpa.", type::PTR)));
    CHECK_FALSE(z.lookup(q("1.0.0.100.in-addr.arpa.", type::PTR)));  // below 100.64/10
    auto loop = z.lookup(q("1.0.0.127.in-addr.arpa.", type::PTR));
    REQUIRE(loop);
    CHECK(loop->kind == Kind::answer);
    CHECK(rdata_target(type::PTR, loop->records.at(0).rdata) == N("localhost."));
}

TEST_CASE("a default zone can be turned off by name, and an unknown name is an error", "[local]") {
    auto z = defaults({"test.", "home.arpa"});
    CHECK_FALSE(z.lookup(q("alpha.test.", type::A)));
    CHECK_FALSE(z.lookup(q("nas.home.arpa.", type::A)));
    CHECK(z.lookup(q("x.invalid.", type::A)));
    CHECK_THROWS_AS(defaults({"example."}), std::invalid_argument);
}

TEST_CASE("local data inside a default zone answers, NODATA for its other types", "[local]") {
    auto z = defaults();
    z.add_record(a("nas.home.arpa.", "192.168.1.10", 3600));
    auto s = z.lookup(q("NAS.home.arpa.", type::A));
    REQUIRE(s);
    CHECK(s->kind == Kind::answer);
    CHECK(s->records.at(0).ttl == 3600);
    auto nodata = z.lookup(q("nas.home.arpa.", type::AAAA));
    REQUIRE(nodata);
    CHECK(nodata->kind == Kind::nodata);
    CHECK(nodata->authority.at(0).type == type::SOA);
    CHECK(z.lookup(q("tv.home.arpa.", type::A))->kind == Kind::nxdomain);
}

TEST_CASE("local data outside every zone answers its own name and leaves the rest alone",
          "[local]") {
    local::LocalZones z;
    z.add_record(a("printer.corp.example.", "192.0.2.40"));
    CHECK(z.lookup(q("printer.corp.example.", type::A))->kind == Kind::answer);
    CHECK(z.lookup(q("printer.corp.example.", type::AAAA))->kind == Kind::nodata);
    CHECK_FALSE(z.lookup(q("www.corp.example.", type::A)));
    CHECK_FALSE(z.lookup(q("corp.example.", type::A)));
}

TEST_CASE("a local CNAME continues the chain at its target", "[local]") {
    local::LocalZones z;
    z.add_zone(N("corp.example."), local::ZoneKind::static_zone);
    z.add_record(name_rr("wiki.corp.example.", type::CNAME, "www.example."));
    auto s = z.lookup(q("wiki.corp.example.", type::A));
    REQUIRE(s);
    CHECK(s->kind == Kind::cname);
    CHECK(s->next == N("www.example."));
    CHECK(z.lookup(q("wiki.corp.example.", type::CNAME))->kind == Kind::answer);
}

TEST_CASE("a local zone file answers with wildcards, empty non-terminals and its SOA", "[local]") {
    local::LocalZones z;
    z.add_zone_records(parse_zone_text(R"(
lan. 600 IN SOA ns.lan. admin.lan. 7 3600 600 86400 300
lan. 600 IN NS ns.lan.
ns.lan. 600 IN A 192.168.0.1
host.rack1.dc.lan. 600 IN A 192.168.0.20
*.dev.lan. 600 IN A 192.168.0.30
)",
                                       "lan.zone"),
                       "lan.zone");
    auto wild = z.lookup(q("app.dev.lan.", type::A));
    REQUIRE(wild);
    CHECK(wild->kind == Kind::answer);
    CHECK(wild->records.at(0).owner == N("app.dev.lan."));
    CHECK(z.lookup(q("rack1.dc.lan.", type::A))->kind == Kind::nodata);  // empty non-terminal
    auto nx = z.lookup(q("missing.lan.", type::A));
    REQUIRE(nx);
    CHECK(nx->kind == Kind::nxdomain);
    REQUIRE(nx->authority.size() == 1);
    CHECK(nx->authority[0].ttl == 600);  // the zone's own SOA, not a made-up one
    CHECK(z.lookup(q("lan.", type::SOA))->records.size() == 1);
}

TEST_CASE("names below a delegation in a local zone are resolved as usual", "[local]") {
    local::LocalZones z;
    z.add_zone_records(parse_zone_text(R"(
lan. 600 IN SOA ns.lan. admin.lan. 7 3600 600 86400 300
lab.lan. 600 IN NS ns.lab.lan.
)",
                                       "lan.zone"),
                       "lan.zone");
    CHECK_FALSE(z.lookup(q("www.lab.lan.", type::A)));
    CHECK(z.lookup(q("other.lan.", type::A))->kind == Kind::nxdomain);
}

TEST_CASE("a zone file without an SOA or with names outside it is refused", "[local]") {
    local::LocalZones z;
    CHECK_THROWS_WITH(z.add_zone_records(parse_zone_text("a.lan. 60 IN A 192.0.2.1\n", "x"), "x"),
                      Catch::Contains("no SOA"));
    CHECK_THROWS_WITH(
        z.add_zone_records(parse_zone_text("lan. 60 IN SOA a. b. 1 2 3 4 5\nb.other. 60 IN A "
                                           "192.0.2.1\n",
                                           "x"),
                           "x"),
        Catch::Contains("outside"));
}

TEST_CASE("a PTR is made for an address record", "[local]") {
    auto v4 = local::reverse_ptr(a("nas.home.arpa.", "192.168.1.10"));
    REQUIRE(v4);
    CHECK(v4->owner == N("10.1.168.192.in-addr.arpa."));
    CHECK(rdata_target(type::PTR, v4->rdata) == N("nas.home.arpa."));
    Record six = rr("nas.home.arpa.", type::AAAA, 60,
                    std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x01");
    auto v6 = local::reverse_ptr(six);
    REQUIRE(v6);
    CHECK(v6->owner ==
          N("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."));
    CHECK_FALSE(local::reverse_ptr(name_rr("x.lan.", type::CNAME, "y.lan.")));
}

namespace {

// A signed zone served here: its answers carry the proofs port53's validator accepts.
struct SignedLocal {
    base::ManualClock clock;
    replay::ZoneSigner signer;
    local::LocalZones zones;
    explicit SignedLocal(replay::SigningOptions o)
        : signer(N("home.example."), o, clock.unix_now()) {
        zones.add_zone_records(
            signer.sign_zone({test::soa("home.example."),
                              test::name_rr("home.example.", type::NS, "ns.home.example."),
                              test::a("ns.home.example.", "192.0.2.53"),
                              test::a("nas.home.example.", "192.0.2.10"),
                              test::a("*.dev.home.example.", "192.0.2.30"),
                              test::a("x.deep.sub.home.example.", "192.0.2.40")}),
            "home.example.zone");
    }
    dnssec::Proof proof(const engine::Step& s, const Question& question) const {
        dnssec::Limits limits;
        dnssec::Work work(limits);
        auto apex = N("home.example.");
        if (s.kind == Kind::nxdomain)
            return dnssec::prove_nxdomain(question.name, s.authority, apex, limits, work);
        if (s.kind == Kind::nodata)
            return dnssec::prove_nodata(question, s.authority, apex, limits, work);
        uint8_t labels = 0;  // of the answer's RRSIG: fewer than the owner's for a wildcard
        for (const auto& r : s.records)
            if (r.type == type::RRSIG) labels = static_cast<uint8_t>(r.rdata.at(3));
        return dnssec::prove_wildcard_expansion(question.name, labels, s.authority, apex, limits,
                                                work);
    }
};

bool has_signed(const std::vector<Record>& records, uint16_t t) {
    bool rrset = false, rrsig = false;
    for (const auto& r : records) {
        rrset |= r.type == t;
        rrsig |= r.type == type::RRSIG && r.rdata.size() >= 2 &&
                 (static_cast<uint8_t>(r.rdata[0]) << 8 | static_cast<uint8_t>(r.rdata[1])) == t;
    }
    return rrset && rrsig;
}

}  // namespace

TEST_CASE("a signed local zone proves its negative and wildcard answers, NSEC and NSEC3",
          "[local][dnssec]") {
    replay::SigningOptions nsec3;
    nsec3.denial = replay::Denial::nsec3;
    nsec3.nsec3.salt = "\x01\x02";
    nsec3.nsec3.iterations = 1;
    for (auto options : {replay::SigningOptions{}, nsec3}) {
        SignedLocal z(options);
        uint16_t chain = options.denial == replay::Denial::nsec ? type::NSEC : type::NSEC3;
        struct Case {
            const char* name;
            uint16_t type;
            Kind kind;
        };
        for (auto c : {Case{"nothing.home.example.", type::A, Kind::nxdomain},
                       Case{"a.b.nothing.home.example.", type::A, Kind::nxdomain},
                       Case{"nas.home.example.", type::MX, Kind::nodata},
                       Case{"sub.home.example.", type::A, Kind::nodata},  // empty non-terminal
                       Case{"app.dev.home.example.", type::A, Kind::answer},
                       Case{"app.dev.home.example.", type::MX, Kind::nodata},
                       Case{"a.b.dev.home.example.", type::A, Kind::answer}}) {
            INFO(c.name << " type " << c.type << (chain == type::NSEC ? " NSEC" : " NSEC3"));
            Question question = q(c.name, c.type);
            auto s = z.zones.lookup(question);
            REQUIRE(s);
            CHECK(s->kind == c.kind);
            CHECK(has_signed(s->authority, chain));
            CHECK(z.proof(*s, question) == dnssec::Proof::proven);
        }
        // A name that exists answers with its data and signatures, and proves nothing more.
        auto nas = z.zones.lookup(q("nas.home.example.", type::A));
        REQUIRE(nas);
        CHECK(has_signed(nas->records, type::A));
        CHECK(nas->authority.empty());
    }
}

TEST_CASE("an unsigned local zone adds no proofs", "[local][dnssec]") {
    local::LocalZones z;
    z.add_zone_records({test::soa("lan."), test::a("nas.lan.", "192.0.2.10")}, "lan.zone");
    auto s = z.lookup(q("nothing.lan.", type::A));
    REQUIRE(s);
    CHECK(s->authority.size() == 1);
}

// RFC 8806: a zone held here answers the engine as its servers would.
TEST_CASE("a zone held here answers as its servers would: referrals with DS and glue", "[local]") {
    local::LocalZones z;
    z.add_zone_records(parse_zone_text(R"(
. 600 IN SOA a.root. admin.root. 7 3600 600 86400 300
. 600 IN NS a.root.
a.root. 600 IN A 192.0.2.1
lan. 600 IN NS ns.lan.
lan. 600 IN NS ns.elsewhere.
lan. 600 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.lan. 600 IN A 192.0.2.53
)",
                                       "root.zone"),
                       "root.zone");
    SECTION("below a cut: a referral, not authoritative, with the DS and in-zone glue") {
        auto m = z.respond(q("www.sub.lan.", type::A));
        REQUIRE(m);
        CHECK_FALSE(m->has(flag::AA));
        CHECK(m->rcode() == rcode::NOERROR);
        CHECK(m->answer.empty());
        int ns = 0, ds = 0;
        for (const auto& r : m->authority) {
            ns += r.type == type::NS;
            ds += r.type == type::DS;
        }
        CHECK(ns == 2);
        CHECK(ds == 1);
        REQUIRE(m->additional.size() == 1);
        CHECK(m->additional[0].owner == N("ns.lan."));
    }
    SECTION("the DS of a cut is the parent's: answered, authoritative") {
        auto m = z.respond(q("lan.", type::DS));
        REQUIRE(m);
        CHECK(m->has(flag::AA));
        REQUIRE(m->answer.size() == 1);
        CHECK(m->answer[0].type == type::DS);
        // and the local-data lookup agrees (it used to leave a cut's DS to the child)
        CHECK(z.lookup(q("lan.", type::DS))->kind == Kind::answer);
    }
    SECTION("a name that does not exist: NXDOMAIN with the SOA; the apex NS with addresses") {
        auto m = z.respond(q("nosuchtld.", type::A));
        REQUIRE(m);
        CHECK(m->rcode() == rcode::NXDOMAIN);
        CHECK(m->has(flag::AA));
        REQUIRE(m->authority.size() == 1);
        CHECK(m->authority[0].type == type::SOA);
        auto apex = z.respond(q(".", type::NS));
        REQUIRE(apex);
        REQUIRE(apex->answer.size() == 1);
        REQUIRE(apex->additional.size() == 1);
        CHECK(apex->additional[0].owner == N("a.root."));
    }
    SECTION("a name outside every zone held is not answered") {
        local::LocalZones lan;
        lan.add_zone(N("lan."), local::ZoneKind::static_zone);
        CHECK_FALSE(lan.respond(q("www.example.", type::A)));
    }
}

TEST_CASE("covers: the names a zone here holds, whose cached answers a reload forgets",
          "[local][reload]") {
    local::LocalZones z;
    z.add_record(a("printer.corp.example.", "192.0.2.40"));
    z.add_zone(N("lan."), local::ZoneKind::static_zone);
    CHECK(z.covers(N("printer.corp.example.")));
    CHECK(z.covers(N("a.printer.corp.example.")));
    CHECK(z.covers(N("anything.lan.")));
    CHECK_FALSE(z.covers(N("corp.example.")));
    CHECK_FALSE(z.covers(N("www.example.")));
}

TEST_CASE("local zones: resolver.arpa. is NODATA for every name (RFC 9462 §4)", "[local]") {
    auto z = defaults();
    for (const char* name : {"resolver.arpa.", "_dns.resolver.arpa.", "a.b.resolver.arpa."}) {
        CAPTURE(name);
        auto s = z.lookup(q(name, 64));
        REQUIRE(s);
        CHECK(s->kind == Kind::nodata);
        REQUIRE_FALSE(s->authority.empty());
        CHECK(s->authority.front().owner == N("resolver.arpa."));
    }
    CHECK(z.lookup(q("x.test.", 1))->kind == Kind::nxdomain);  // the other zones stay static
    CHECK(local::zone_kind_from_text("always_nodata") == local::ZoneKind::always_nodata);
}
