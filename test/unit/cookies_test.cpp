// DNS cookies (RFC 7873, RFC 9018): the keyed hash, reading a client's COOKIE option, and
// the server cookie a reply carries.
#include "upstream/cookies.hpp"

#include <catch2/catch.hpp>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "helpers.hpp"
#include "scripted_network.hpp"
#include "server/server.hpp"
#include "wire/message.hpp"
#include "wire/opt_view.hpp"
#include "wire/query_view.hpp"

using namespace port53;
using namespace port53::wire;
using namespace port53::test;

namespace {

std::vector<uint8_t> query_with_cookie(std::vector<uint8_t> cookie, uint16_t qtype = type::ANY) {
    std::vector<uint8_t> opt(4);
    store16(&opt[0], edns_option::COOKIE);
    store16(&opt[2], static_cast<uint16_t>(cookie.size()));
    opt.insert(opt.end(), cookie.begin(), cookie.end());
    MessageBuilder b;
    b.header(0x4242, flag::RD);
    b.question(N("example.org."), qtype, cls::IN);
    b.add_opt(1232, false, 0, opt);
    return b.take();
}

}  // namespace

TEST_CASE("SipHash-2-4 matches the reference test vector", "[cookies]") {
    upstream::CookieSecret key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
    std::vector<uint8_t> msg(15);
    for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i);
    CHECK(upstream::siphash24(key, msg) == 0xa129ca6149be45e5ULL);  // SipHash paper, App. A
    CHECK(upstream::siphash24(key, {}) == 0x726fdb47dd0e0e31ULL);   // reference vectors[0]
}

TEST_CASE("a client's COOKIE option is read; a malformed one is FORMERR", "[cookies]") {
    QueryView v;
    REQUIRE(parse_query(query_with_cookie(std::vector<uint8_t>(8, 7)), v) == QueryCheck::ok);
    CHECK(v.cookie_len == 8);
    REQUIRE(parse_query(query_with_cookie(std::vector<uint8_t>(24, 9)), v) == QueryCheck::ok);
    CHECK(v.cookie_len == 24);
    for (std::size_t bad : {0u, 5u, 12u, 41u})
        CHECK(parse_query(query_with_cookie(std::vector<uint8_t>(bad, 1)), v) ==
              QueryCheck::formerr);
    REQUIRE(parse_query(query("example.org", type::A), v) == QueryCheck::ok);
    CHECK(v.cookie_len == 0);
}

TEST_CASE("a reply echoes the client cookie with a server cookie bound to the client",
          "[cookies]") {
    base::ManualClock clock;
    cache::RRsetCache rrsets{1 << 20, 2, {}};
    cache::AnswerCache answers{1 << 20, 2};
    upstream::Infra infra{{}};
    ScriptedNetwork net;
    engine::EngineSettings es;
    es.validate = false;
    engine::Engine engine(es, {}, rrsets, infra, net, clock);
    server::ServerSettings ss;
    upstream::CookieSecret secret{};
    secret.fill(0x5A);
    ss.cookie_secret = secret;
    server::Server server(ss, engine, answers, clock);

    auto cookie_in_reply = [&](const char* client_ip) {
        std::vector<uint8_t> out(65535);
        std::size_t len = 0;
        sockaddr_in client = ipv4_client(client_ip);
        auto q = query_with_cookie({1, 2, 3, 4, 5, 6, 7, 8});
        REQUIRE(server.handle_fast(q, out, len, server::ClientTransport::udp,
                                   reinterpret_cast<const sockaddr*>(&client)) ==
                server::Server::Fast::answered);
        Message m = parse_message(std::span(out).first(len)).value();
        REQUIRE(m.edns);
        auto c = m.edns->option(edns_option::COOKIE);
        REQUIRE(c);
        return std::string(*c);
    };
    std::string a = cookie_in_reply("10.0.0.1");
    REQUIRE(a.size() == 24);
    CHECK(a.substr(0, 8) == std::string("\1\2\3\4\5\6\7\x08", 8));
    CHECK(a[8] == 1);                                               // RFC 9018 version
    CHECK(a.substr(8) == cookie_in_reply("10.0.0.1").substr(8));    // same client, same second
    CHECK(a.substr(16) != cookie_in_reply("10.0.0.2").substr(16));  // bound to the address

    // Without a cookie in the query, none in the reply.
    std::vector<uint8_t> out(65535);
    std::size_t len = 0;
    auto plain = query("example.org", type::ANY);
    REQUIRE(server.handle_fast(plain, out, len, server::ClientTransport::udp) ==
            server::Server::Fast::answered);
    CHECK_FALSE(parse_message(std::span(out).first(len)).value().edns->option(edns_option::COOKIE));
}

TEST_CASE("an upstream reply must echo our client cookie and be a reply (QR, same opcode)",
          "[cookies]") {
    auto q = query_with_cookie({0x91, 0xA2, 3, 4, 5, 6, 7, 0xF8}, type::A);
    auto reply = [&](std::vector<uint8_t> cookie, uint16_t flags) {
        MessageBuilder b;
        b.header(0x4242, flags);
        b.question(N("example.org."), type::A, cls::IN);
        std::vector<uint8_t> opt;
        if (!cookie.empty()) {
            opt.resize(4);
            store16(&opt[0], edns_option::COOKIE);
            store16(&opt[2], static_cast<uint16_t>(cookie.size()));
            opt.insert(opt.end(), cookie.begin(), cookie.end());
        }
        b.add_opt(1232, false, 0, opt);
        return b.take();
    };
    std::vector<uint8_t> echo{0x91, 0xA2, 3, 4, 5, 6, 7, 0xF8, 1, 0, 0, 0, 9, 9, 9, 9};
    echo.resize(24, 0x77);
    CHECK(cookie_echoed(q, reply(echo, flag::QR)));
    CHECK(cookie_echoed(q, reply({}, flag::QR)));  // a server without cookies
    auto forged = echo;
    forged[7] ^= 0x80;
    CHECK_FALSE(cookie_echoed(q, reply(forged, flag::QR)));
    CHECK(response_matches_query(q, reply(echo, flag::QR)));
    CHECK_FALSE(response_matches_query(q, reply(echo, 0)));  // our own query reflected
    CHECK_FALSE(response_matches_query(q, reply(echo, flag::QR | 0x1000)));  // opcode 2
}
