// The in-flight table: coalescing, and the shares no client or question may exceed.
#include "server/inflight.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace port53;
using namespace port53::server;
using namespace port53::test;

namespace {

Waiter from(const char* ip) {
    Waiter w;
    sockaddr_in a = ipv4_client(ip);
    std::memcpy(&w.client, &a, sizeof a);
    return w;
}

}  // namespace

TEST_CASE("one client cannot hold more than its share of questions in flight", "[inflight]") {
    InflightTable t({100, 3, 10});
    CHECK(t.join("q1", from("10.0.0.1")) == InflightTable::Join::first);
    CHECK(t.join("q2", from("10.0.0.1")) == InflightTable::Join::first);
    CHECK(t.join("q1", from("10.0.0.1")) == InflightTable::Join::joined);
    CHECK(t.join("q3", from("10.0.0.1")) == InflightTable::Join::full);   // its 4th
    CHECK(t.join("q3", from("10.0.0.2")) == InflightTable::Join::first);  // others still can
    CHECK(t.finish("q1").size() == 2);
    CHECK(t.join("q4", from("10.0.0.1")) == InflightTable::Join::first);  // slots came back
    CHECK(t.questions() == 3);
}

TEST_CASE("waiters on one question and in total are capped; prefetches count as questions",
          "[inflight]") {
    InflightTable t({4, 100, 2});
    CHECK(t.join("q", from("10.0.0.1")) == InflightTable::Join::first);
    CHECK(t.join("q", from("10.0.0.2")) == InflightTable::Join::joined);
    CHECK(t.join("q", from("10.0.0.3")) == InflightTable::Join::full);  // per question
    CHECK(t.join("r", from("10.0.0.3")) == InflightTable::Join::first);
    CHECK(t.start("p"));
    CHECK_FALSE(t.start("p"));                                           // already running
    CHECK(t.join("s", from("10.0.0.4")) == InflightTable::Join::first);  // 4 waiters now
    CHECK(t.join("r", from("10.0.0.5")) == InflightTable::Join::full);   // in total
    CHECK(t.finish("p").empty());
}

TEST_CASE("a waiter keeps a compact copy of its query that reads as the same question",
          "[inflight]") {
    std::vector<uint8_t> opt(4 + 8 + 16);
    wire::store16(&opt[0], wire::edns_option::COOKIE);
    wire::store16(&opt[2], 24);
    opt[4] = 0xAB;
    opt.resize(opt.size() + 4 + 3000, 0);  // and a big padding option it need not keep
    wire::store16(&opt[28], 12);
    wire::store16(&opt[30], 3000);
    wire::MessageBuilder b;
    b.header(0x7777, wire::flag::RD | wire::flag::CD);
    b.question(N("WwW.Example.ORG."), wire::type::AAAA, wire::cls::IN);
    b.add_opt(4096, true, 0, opt);
    auto query = b.take();
    wire::QueryView q;
    REQUIRE(wire::parse_query(query, q) == wire::QueryCheck::ok);
    auto c = compact_query(query, q);
    CHECK(c.size() < 100);
    wire::QueryView back;
    REQUIRE(wire::parse_query(c, back) == wire::QueryCheck::ok);
    CHECK(back.id == 0x7777);
    CHECK(back.flags == q.flags);
    CHECK(back.qtype == wire::type::AAAA);
    CHECK(back.udp_size == 4096);
    CHECK(back.dnssec_ok);
    CHECK(back.cookie_len == 24);
    CHECK(back.cookie[0] == 0xAB);
    CHECK(std::equal(c.begin() + 12, c.begin() + q.question_end, query.begin() + 12));  // case
}

TEST_CASE("bytes after the question or the OPT make a query FORMERR", "[inflight]") {
    wire::QueryView q;
    auto plain = query("example.org", wire::type::A, 1, false);
    CHECK(wire::parse_query(plain, q) == wire::QueryCheck::ok);
    plain.push_back(0);
    CHECK(wire::parse_query(plain, q) == wire::QueryCheck::formerr);
    auto edns = query("example.org", wire::type::A);
    CHECK(wire::parse_query(edns, q) == wire::QueryCheck::ok);
    edns.insert(edns.end(), 40000, 'x');
    CHECK(wire::parse_query(edns, q) == wire::QueryCheck::formerr);
}

TEST_CASE("clearing the table releases every waiter's completion and every share", "[inflight]") {
    InflightTable t({100, 1, 10});
    auto session = std::make_shared<int>(0);  // what a transport's completion keeps alive
    Waiter w = from("10.0.0.1");
    w.done = [session](std::span<const uint8_t>) {};
    CHECK(t.join("q", std::move(w)) == InflightTable::Join::first);
    CHECK(session.use_count() == 2);
    t.clear();
    CHECK(session.use_count() == 1);
    CHECK(t.questions() == 0);
    CHECK(t.join("q", from("10.0.0.1")) == InflightTable::Join::first);  // its share is back
}
