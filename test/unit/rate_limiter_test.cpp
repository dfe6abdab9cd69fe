#include "server/rate_limiter.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace port53::server;

namespace {
constexpr auto v4 = port53::test::ipv4_client;
const sockaddr* sa(const sockaddr_in& s) {
    return reinterpret_cast<const sockaddr*>(&s);
}
}  // namespace

TEST_CASE("queries over the per-prefix rate are refused; other prefixes are not", "[ratelimit]") {
    RateLimiter rl({.queries_per_second = 10});
    auto a = v4("192.0.2.1"), a2 = v4("192.0.2.200"), b = v4("198.51.100.1");
    int allowed = 0;
    for (int i = 0; i < 100; ++i) allowed += rl.query_allowed(sa(i % 2 ? a : a2), 1000);
    CHECK(allowed == 10);  // one /24: the two addresses share a bucket
    CHECK(rl.query_allowed(sa(b), 1000));
    CHECK(rl.query_allowed(sa(a), 1500));  // half a second later: 5 more tokens
    CHECK(rl.limited() == 90);
}

TEST_CASE("response rate limiting slips every Nth limited answer", "[ratelimit]") {
    RateLimiter rl({.responses_per_second = 5, .slip = 2});
    auto a = v4("203.0.113.9");
    int pass = 0, slip = 0, drop = 0;
    for (int i = 0; i < 25; ++i) {
        switch (rl.response_allowed(sa(a), 5000)) {
            case RateLimiter::Verdict::pass:
                ++pass;
                break;
            case RateLimiter::Verdict::slip:
                ++slip;
                break;
            case RateLimiter::Verdict::drop:
                ++drop;
                break;
        }
    }
    CHECK(pass == 5);
    CHECK(slip == 10);
    CHECK(drop == 10);
}
