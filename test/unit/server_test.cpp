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
