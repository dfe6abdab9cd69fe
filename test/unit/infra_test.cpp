#include "upstream/infra.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace port53;
using namespace port53::upstream;
using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST_CASE("faster servers come first and failing ones last", "[infra]") {
    Infra infra({});
    auto fast = *ServerAddr::parse("192.0.2.1"), slow = *ServerAddr::parse("192.0.2.2"),
         dead = *ServerAddr::parse("192.0.2.3");
    for (int i = 0; i < 5; ++i) {
        infra.on_response(fast, microseconds(1'000));
        infra.on_response(slow, microseconds(900'000));
    }
    infra.on_failure(dead, 100);
    infra.on_failure(dead, 100);
    std::vector<ServerAddr> all{dead, slow, fast};
    for (int i = 0; i < 20; ++i) {
        auto order = infra.order(all, 100);
        CHECK(order.front() == fast);
        CHECK(order.back() == dead);
    }
    // Once its back-off passes, the dead server is a candidate again.
    CHECK(infra.order(all, 100 + 3600).back() != dead);
}

TEST_CASE("timeouts follow measured RTT and double on failure", "[infra]") {
    InfraSettings s;
    Infra infra(s);
    auto srv = *ServerAddr::parse("2001:db8::1");
    CHECK(infra.timeout_for(srv) == s.unknown_rtt);
    infra.on_response(srv, microseconds(100'000));
    auto measured = infra.timeout_for(srv);
    CHECK(measured >= milliseconds(100));
    infra.on_failure(srv, 1);
    CHECK(infra.timeout_for(srv) == 2 * measured);
}

TEST_CASE("lameness is per zone and expires", "[infra]") {
    InfraSettings s;
    Infra infra(s);
    auto srv = *ServerAddr::parse("192.0.2.9");
    infra.mark_lame(test::N("example"), srv, 10);
    CHECK(infra.is_lame(test::N("EXAMPLE"), srv, 11));
    CHECK_FALSE(infra.is_lame(test::N("other"), srv, 11));
    CHECK_FALSE(infra.is_lame(test::N("example"), srv, 10 + s.lame_ttl));
}
