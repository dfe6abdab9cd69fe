// The front door's answers to a client over its share of work.
#include "server/server.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "helpers.hpp"
#include "scripted_network.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;

TEST_CASE("a client over its share gets rate-limited SERVFAILs, not a flood of them",
          "[inflight]") {
    base::ManualClock clock;
    cache::RRsetCache rrsets{1 << 20, 2, {}};
    cache::AnswerCache answers{1 << 20, 2};
    upstream::Infra infra{{}};
    ScriptedNetwork net;  // nothing scripted: resolutions would hang until their timeout
    engine::EngineSettings es;
    es.validate = false;
    engine::Engine engine(es, {}, rrsets, infra, net, clock);
    server::ServerSettings ss;
    ss.max_inflight_per_client = 1;
    ss.rate_limit.responses_per_second = 2;
    ss.rate_limit.slip = 0;
    server::Server server(ss, engine, answers, clock);
    boost::asio::io_context io;  // never run: the first question stays in flight
    sockaddr_in client = ipv4_client("10.0.0.9");
    int replies = 0;
    for (int i = 0; i < 20; ++i) {
        auto q = query(("n" + std::to_string(i) + ".example.").c_str(), type::A);
        server.handle_slow(
            q, server::ClientTransport::udp, io.get_executor(),
            [&](std::span<const uint8_t> r) { replies += r.empty() ? 0 : 1; },
            reinterpret_cast<const sockaddr*>(&client));
    }
    CHECK(replies <= 2);  // 19 over the share, answered within the response rate
    CHECK(replies >= 1);
}

TEST_CASE("a swapped policy decides from the next query on; the old one is handed back",
          "[reload]") {
    base::ManualClock clock;
    cache::RRsetCache rrsets{1 << 20, 2, {}};
    cache::AnswerCache answers{1 << 20, 2};
    upstream::Infra infra{{}};
    ScriptedNetwork net;
    engine::EngineSettings es;
    es.validate = false;
    engine::Engine engine(es, {}, rrsets, infra, net, clock);
    server::Server server({}, engine, answers, clock);
    sockaddr_in client = ipv4_client("10.0.0.9");
    auto q = query("example.", type::ANY);  // answered on the fast path (RFC 8482)
    std::vector<uint8_t> out(4096);
    std::size_t len = 0;
    auto ask = [&] {
        return server.handle_fast(q, out, len, server::ClientTransport::udp,
                                  reinterpret_cast<const sockaddr*>(&client));
    };
    REQUIRE(ask() == server::FrontDoor::Fast::answered);
    CHECK((load16(&out[2]) & 0xF) == rcode::NOERROR);
    auto first = server.current_policy();
    server::ServerSettings strict;
    strict.acl = server::Acl::parse({"10.0.0.0/8 refuse"});
    strict.rate_limit = first->settings.rate_limit;
    auto old = server.swap_policy(std::make_shared<server::Policy>(strict, engine, first.get()));
    CHECK(old == first);
    CHECK(server.current_policy()->limiter == first->limiter);  // same limits: state kept
    CHECK(server.current_policy()->cookie_secret == first->cookie_secret);
    REQUIRE(ask() == server::FrontDoor::Fast::answered);
    CHECK((load16(&out[2]) & 0xF) == rcode::REFUSED);
    server::ServerSettings deny;
    deny.acl = server::Acl::parse({"10.0.0.0/8 deny"});
    deny.rate_limit.queries_per_second = 5;
    server.swap_policy(
        std::make_shared<server::Policy>(deny, engine, server.current_policy().get()));
    CHECK(server.current_policy()->limiter != first->limiter);  // new limits: a new limiter
    CHECK(ask() == server::FrontDoor::Fast::drop);
}
