#include "wire/query_view.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace port53::wire;
using namespace port53::test;

TEST_CASE("a normal query is read without allocation", "[query]") {
    auto q = query("WWW.Example.org", type::AAAA, 0x55, true, 4096);
    QueryView v;
    REQUIRE(parse_query(q, v) == QueryCheck::ok);
    CHECK(v.id == 0x55);
    CHECK(v.qtype == type::AAAA);
    CHECK(v.edns);
    CHECK(v.udp_size == 4096);
    CHECK(std::string(reinterpret_cast<char*>(v.qname), v.qname_len) ==
          std::string(N("www.example.org").wire()));
}

TEST_CASE("bad queries are classified", "[query]") {
    QueryView v;
    auto q = query("example.org", type::A);
    CHECK(parse_query(std::span(q).first(11), v) == QueryCheck::drop);
    auto resp = q;
    resp[2] |= 0x80;  // QR
    CHECK(parse_query(resp, v) == QueryCheck::drop);
    auto two = q;
    two[5] = 2;  // QDCOUNT 2
    CHECK(parse_query(two, v) == QueryCheck::formerr);
    auto op = q;
    op[2] |= 2 << 3;  // opcode STATUS
    CHECK(parse_query(op, v) == QueryCheck::notimp);
    auto cut = std::vector<uint8_t>(q.begin(), q.begin() + 16);
    cut[11] = 0;
    CHECK(parse_query(cut, v) == QueryCheck::formerr);
    auto vers = q;
    vers[vers.size() - 5] = 1;  // EDNS version 1
    CHECK(parse_query(vers, v) == QueryCheck::badvers);
}
