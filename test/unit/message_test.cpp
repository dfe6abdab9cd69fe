#include "wire/message.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace port53::wire;
using namespace port53::test;

TEST_CASE("builder output parses back, with compression and TTL offsets", "[wire]") {
    MessageBuilder b;
    b.header(42, flag::QR | flag::AA);
    b.question(N("www.example.org"), type::A, cls::IN);
    REQUIRE(b.add(Section::answer, name_rr("www.example.org", type::CNAME, "host.example.org")));
    REQUIRE(b.add(Section::answer, a("host.example.org", "192.0.2.1", 77)));
    REQUIRE(b.add(Section::authority, soa("example.org")));
    REQUIRE(b.add_opt(1232, true));
    auto wire = b.take();
    // Compression: the CNAME target shares "example.org" with the question.
    CHECK(wire.size() == 130);  // 170 without compression
    Message m = parse_message(wire).value();
    CHECK(m.id == 42);
    CHECK(m.has(flag::AA));
    REQUIRE(m.answer.size() == 2);
    CHECK(rdata_target(type::CNAME, m.answer[0].rdata) == N("host.example.org"));
    CHECK(m.answer[1].ttl == 77);
    CHECK(m.authority.at(0).rdata == soa("example.org").rdata);
    REQUIRE(m.edns);
    CHECK(m.edns->dnssec_ok);
    CHECK(m.edns->udp_size == 1232);
}

TEST_CASE("builder refuses records past the size limit", "[wire]") {
    MessageBuilder b(100);
    b.header(1, flag::QR);
    b.question(N("big.example"), type::TXT, cls::IN);
    CHECK_FALSE(b.add(Section::answer, rr("big.example", type::TXT, 60, std::string(200, 'x'))));
    CHECK(b.size() < 100);
    CHECK(parse_message(b.bytes()).value().answer.empty());
}

TEST_CASE("parser rejects malformed messages", "[wire]") {
    auto q = query("example.org", type::A);
    CHECK_FALSE(parse_message(std::span(q).first(q.size() - 3)));
    auto bad_count = q;
    bad_count[7] = 5;  // ANCOUNT 5 with no records
    CHECK_FALSE(parse_message(bad_count));
    const char* why = nullptr;
    CHECK_FALSE(parse_message(std::span(q).first(q.size() - 3), &why));
    CHECK(std::string(why) == "message truncated");
}

TEST_CASE("responses must match the query's ID and question", "[wire]") {
    auto q = query("example.org", type::A, 7);
    MessageBuilder r;
    r.header(7, flag::QR);
    r.question(N("EXAMPLE.org"), type::A, cls::IN);
    CHECK(response_matches_query(q, r.bytes()));
    MessageBuilder wrong_id;
    wrong_id.header(8, flag::QR);
    wrong_id.question(N("example.org"), type::A, cls::IN);
    CHECK_FALSE(response_matches_query(q, wrong_id.bytes()));
    MessageBuilder wrong_type;
    wrong_type.header(7, flag::QR);
    wrong_type.question(N("example.org"), type::AAAA, cls::IN);
    CHECK_FALSE(response_matches_query(q, wrong_type.bytes()));
}

TEST_CASE("error responses echo ID, RD and question", "[wire]") {
    auto q = query("example.org", type::A, 99);
    Message m = parse_message(error_response(q, rcode::FORMERR)).value();
    CHECK(m.id == 99);
    CHECK(m.rcode() == rcode::FORMERR);
    CHECK(m.has(flag::QR));
    CHECK(m.has(flag::RD));
    REQUIRE(m.questions.size() == 1);
    CHECK(m.questions[0].name == N("example.org"));
    CHECK(error_response(std::span(q).first(5), rcode::FORMERR).empty());
}
