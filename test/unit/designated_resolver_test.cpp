#include "local/designated_resolver.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "wire/zone_file.hpp"

using namespace port53;
using namespace port53::test;
using Kind = engine::Step::Kind;

namespace {

constexpr uint16_t kSvcb = 64;

local::DesignatedEndpoints lab_endpoints() {
    return {"dns.lab.",
            {{"127.53.0.1", 853}, {"::1", 853}},
            {{"127.53.0.1", 443}, {"0.0.0.0", 443}},
            "/dns-query",
            300};
}

std::vector<std::string> texts(const std::vector<wire::Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(wire::record_to_text(r));
    return out;
}

}  // namespace

TEST_CASE("DDR: DoT then DoH at both owners, with alpn, port, hints and dohpath", "[local][ddr]") {
    auto t = texts(local::designated_resolver_records(lab_endpoints()));
    REQUIRE(t.size() == 4);
    // RFC 9462 §4 at _dns.resolver.arpa., §5 at _dns.<name>; same endpoints at both.
    for (int owner = 0; owner < 2; ++owner) {
        const std::string o = owner == 0 ? "_dns.resolver.arpa." : "_dns.dns.lab.";
        const std::string& dot = t[owner * 2];
        const std::string& doh = t[owner * 2 + 1];
        CAPTURE(dot, doh);
        CHECK(dot.rfind(o + "\t300\tIN\tSVCB\t1 dns.lab. ", 0) == 0);
        CHECK(dot.find("alpn=dot port=853 ipv4hint=127.53.0.1 ipv6hint=::1") != std::string::npos);
        CHECK(doh.rfind(o + "\t300\tIN\tSVCB\t2 dns.lab. ", 0) == 0);
        // The wildcard listener gives no hint; the path is an RFC 6570 template.
        CHECK(doh.find("alpn=h2,http/1.1 port=443 ipv4hint=127.53.0.1 dohpath=/dns-query{?dns}") !=
              std::string::npos);
        CHECK(doh.find("ipv6hint") == std::string::npos);
    }
}

TEST_CASE("DDR: each port is an endpoint of its own, in priority order", "[local][ddr]") {
    auto e = lab_endpoints();
    e.dot.push_back({"127.53.0.1", 8853});
    e.doh.clear();
    auto t = texts(local::designated_resolver_records(e));
    REQUIRE(t.size() == 4);
    CHECK(t[0].find("SVCB\t1 dns.lab. alpn=dot port=853 ") != std::string::npos);
    CHECK(t[1].find("SVCB\t2 dns.lab. alpn=dot port=8853 ipv4hint=127.53.0.1") !=
          std::string::npos);
}

TEST_CASE("DDR: a name or DoH path that cannot be written is refused", "[local][ddr]") {
    auto e = lab_endpoints();
    e.name = ".";
    CHECK_THROWS_AS(local::designated_resolver_records(e), std::invalid_argument);
    e = lab_endpoints();
    e.doh_path = "/dns\"query";
    CHECK_THROWS_AS(local::designated_resolver_records(e), std::invalid_argument);
    e = lab_endpoints();
    e.dot[0].ip = "dns.lab";
    CHECK_THROWS_AS(local::designated_resolver_records(e), std::invalid_argument);
}

TEST_CASE("DDR zones answer SVCB there, NODATA for other types, nothing elsewhere",
          "[local][ddr]") {
    auto zones = local::designated_resolver_zones(lab_endpoints());
    auto svcb = zones->lookup({N("_DNS.resolver.arpa."), kSvcb, wire::cls::IN});
    REQUIRE(svcb);
    CHECK(svcb->kind == Kind::answer);
    CHECK(svcb->records.size() == 2);
    auto by_name = zones->lookup({N("_dns.dns.lab."), kSvcb, wire::cls::IN});
    REQUIRE(by_name);
    CHECK(by_name->records.size() == 2);
    auto a = zones->lookup({N("_dns.resolver.arpa."), wire::type::A, wire::cls::IN});
    REQUIRE(a);
    CHECK(a->kind == Kind::nodata);
    // Only the _dns names: the resolver's own name and the rest of resolver.arpa. are not ours.
    CHECK_FALSE(zones->lookup({N("dns.lab."), wire::type::A, wire::cls::IN}));
    CHECK_FALSE(zones->lookup({N("x.resolver.arpa."), kSvcb, wire::cls::IN}));
}
