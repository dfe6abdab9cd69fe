#include "cache/answer_cache.hpp"

#include <catch2/catch.hpp>

#include "base/clock.hpp"
#include "helpers.hpp"
#include "wire/message.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;

namespace {

cache::StoredAnswer stored(const char* qname, std::vector<Record> answer, uint32_t now) {
    MessageBuilder b;
    b.header(0, flag::QR | flag::RA);
    b.question(N(qname), type::TXT, cls::IN);
    for (auto& r : answer) b.add(Section::answer, r);
    return cache::make_stored_answer(b.bytes(), b.ttl_offsets(), now);
}

}  // namespace

TEST_CASE("a cache hit echoes ID, RD and question case, with aged TTLs", "[answer]") {
    base::ManualClock clock;
    cache::AnswerCache c(1 << 20, 4);
    auto q = query("Www.Example", type::TXT, 0x4242);
    QueryView v;
    REQUIRE(parse_query(q, v) == QueryCheck::ok);
    cache::AnswerKey key(v);
    c.store(key, stored("www.example", {rr("www.example", type::TXT, 100, "\x02hi")}, clock.now()),
            clock.now());
    clock.advance(30);
    std::vector<uint8_t> out(1232);
    std::size_t n = c.answer(key, v, q, out, {1232, 1232}, clock.now());
    REQUIRE(n > 0);
    Message m = parse_message(std::span(out).first(n)).value();
    CHECK(m.id == 0x4242);
    CHECK(m.has(flag::RD));
    CHECK(m.has(flag::RA));
    CHECK(m.questions.at(0).name.to_text() == "Www.Example.");
    REQUIRE(m.answer.size() == 1);
    CHECK(m.answer[0].ttl == 70);
    CHECK(m.edns);
    clock.advance(70);
    CHECK(c.answer(key, v, q, out, {1232, 1232}, clock.now()) == 0);
}

TEST_CASE("answers larger than the client's limit are truncated with TC", "[answer]") {
    base::ManualClock clock;
    std::vector<Record> big;
    for (int i = 0; i < 10; ++i)
        big.push_back(rr("big.example", type::TXT, 60,
                         std::string(1, char(200)) + std::string(200, 'a' + i)));
    auto answer = stored("big.example", big, clock.now());
    auto q = query("big.example", type::TXT, 1, false);
    QueryView v;
    REQUIRE(parse_query(q, v) == QueryCheck::ok);
    std::vector<uint8_t> out(65535);
    std::size_t n = cache::render_reply(answer.blob, v, q, out, {512, 1232}, clock.now());
    Message m = parse_message(std::span(out).first(n)).value();
    CHECK(m.has(flag::TC));
    CHECK(m.answer.empty());
    n = cache::render_reply(answer.blob, v, q, out, {65535, 1232}, clock.now());
    CHECK(parse_message(std::span(out).first(n)).value().answer.size() == 10);
}

TEST_CASE("prefetch is signalled once, in the last tenth of an entry's life", "[answer]") {
    base::ManualClock clock;
    cache::AnswerCache c(1 << 20, 4);
    auto q = query("www.example", type::TXT);
    QueryView v;
    REQUIRE(parse_query(q, v) == QueryCheck::ok);
    cache::AnswerKey key(v);
    c.store(key, stored("www.example", {rr("www.example", type::TXT, 100, "\x02hi")}, clock.now()),
            clock.now());
    std::vector<uint8_t> out(1232);
    bool refresh = false;
    clock.advance(50);
    CHECK(c.answer(key, v, q, out, {1232, 1232}, clock.now(), &refresh) > 0);
    CHECK_FALSE(refresh);
    clock.advance(41);
    CHECK(c.answer(key, v, q, out, {1232, 1232}, clock.now(), &refresh) > 0);
    CHECK(refresh);
    refresh = false;
    CHECK(c.answer(key, v, q, out, {1232, 1232}, clock.now(), &refresh) > 0);
    CHECK_FALSE(refresh);  // already being refreshed
    // The refreshed answer is stored afresh: in its own last tenth it is refreshed again.
    c.store(key, stored("www.example", {rr("www.example", type::TXT, 100, "\x02hi")}, clock.now()),
            clock.now());
    clock.advance(91);
    CHECK(c.answer(key, v, q, out, {1232, 1232}, clock.now(), &refresh) > 0);
    CHECK(refresh);
}

TEST_CASE("expired answers can be served stale with EDE 3 and a short TTL", "[answer]") {
    base::ManualClock clock;
    cache::AnswerCache c(1 << 20, 4);
    auto q = query("www.example", type::TXT);
    QueryView v;
    REQUIRE(parse_query(q, v) == QueryCheck::ok);
    cache::AnswerKey key(v);
    c.store(key, stored("www.example", {rr("www.example", type::TXT, 100, "\x02hi")}, clock.now()),
            clock.now());
    clock.advance(500);
    std::vector<uint8_t> out(1232);
    CHECK(c.answer(key, v, q, out, {1232, 1232}, clock.now()) == 0);
    std::size_t n = c.answer_stale(key.view(), v, q, out, {1232, 1232}, clock.now(), 3600, {30});
    REQUIRE(n > 0);
    Message m = parse_message(std::span(out).first(n)).value();
    CHECK(m.answer.at(0).ttl == 30);
    CHECK(c.answer_stale(key.view(), v, q, out, {1232, 1232}, clock.now(), 300, {30}) == 0);
}
