#include "server/tunnel_detector.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "wire/query_view.hpp"

using namespace port53;
using namespace port53::server;

namespace {
constexpr auto client = test::ipv4_client;
TunnelDetector::Finding inspect(TunnelDetector& d, const sockaddr_in& c, const std::string& name,
                                uint16_t type = wire::type::A, uint32_t now = 100) {
    auto q = test::query(name.c_str(), type);
    wire::QueryView v;
    REQUIRE(wire::parse_query(q, v) == wire::QueryCheck::ok);
    return d.inspect(reinterpret_cast<const sockaddr*>(&c), v, now);
}
}  // namespace

TEST_CASE("entropy separates encoded data from words", "[tunnel]") {
    CHECK(label_entropy("aaaaaaaa") == 0);
    CHECK(label_entropy("this-is-a-rather-long-but-ordinary-hostname") < 4.0);
    CHECK(label_entropy("mzxw6ytboi2gk3tfoj3ws5lbmnqxm2ldnnrw63tboiyq") > 4.0);
}

TEST_CASE("tunnel patterns are flagged per client, and refused under listed domains", "[tunnel]") {
    TunnelSettings s;
    s.unique_names = 50;
    s.txt_null_queries = 20;
    s.refuse_domains = {test::N("t.example.")};
    TunnelDetector d(s);
    auto a = client("192.0.2.1"), b = client("192.0.2.2");
    CHECK(inspect(d, a, "www.example.").reason == TunnelDetector::Reason::none);
    auto f = inspect(d, a, "mzxw6ytboi2gk3tfoj3ws5lbmnqxm2ldnnrw63tboiyq.t.example.");
    CHECK(f.reason == TunnelDetector::Reason::high_entropy_label);
    CHECK(f.refuse);
    f = inspect(d, a, "mzxw6ytboi2gk3tfoj3ws5lbmnqxm2ldnnrw63tboiyq.other.example.");
    CHECK(f.reason == TunnelDetector::Reason::high_entropy_label);
    CHECK_FALSE(f.refuse);
    // A burst of unique names under one domain from one client, not from another.
    TunnelDetector::Reason last{};
    for (int i = 0; i < 60; ++i)
        last = inspect(d, b, "n" + std::to_string(i) + ".burst.example.").reason;
    CHECK(last == TunnelDetector::Reason::unique_name_burst);
    CHECK(inspect(d, a, "n1.burst.example.").reason == TunnelDetector::Reason::none);
    // The window resets the counts.
    CHECK(inspect(d, b, "n99.burst.example.", wire::type::A, 100 + 61).reason ==
          TunnelDetector::Reason::none);
    // Heavy TXT use.
    for (int i = 0; i < 25; ++i)
        last = inspect(d, a, "x" + std::to_string(i) + ".d" + std::to_string(i) + ".example.",
                       wire::type::TXT)
                   .reason;
    CHECK(last == TunnelDetector::Reason::txt_null_heavy);
    CHECK(d.flagged() >= 3);
    CHECK(d.refused() == 1);
}
