#include "filter/blocklist.hpp"

#include <catch2/catch.hpp>

#include "filter/block_source.hpp"
#include "helpers.hpp"
#include "wire/types.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;

namespace {

filter::Blocklist sealed(std::string_view text, std::string_view allow = {}) {
    filter::Blocklist b;
    b.add_text(text, false);
    b.add_text(allow, true);
    b.seal();
    return b;
}

engine::SourceQuestion client_asks(const char* name, uint16_t t) {
    return engine::SourceQuestion{Question{N(name), t, cls::IN}, false, true};
}

}  // namespace

TEST_CASE("hosts files block the names they list and nothing below them", "[blocklist]") {
    auto b = sealed(
        "# a hosts file\n127.0.0.1 localhost\n0.0.0.0 ads.example tracker.example "
        "# two\n::1 ip6-localhost\n");
    CHECK(b.blocks(N("ads.example.")));
    CHECK(b.blocks(N("ADS.Example.")));
    CHECK(b.blocks(N("tracker.example.")));
    CHECK_FALSE(b.blocks(N("cdn.ads.example.")));
    CHECK_FALSE(b.blocks(N("example.")));
    CHECK_FALSE(b.blocks(N("localhost.")));
    CHECK(b.entries() == 2);
}

TEST_CASE("domain lists and adblock rules block a name and everything below it", "[blocklist]") {
    filter::Blocklist b;
    auto st = b.add_text(
        "! adblock header\nads.example\n||metrics.example^\n"
        "||important.example^$important\n||path.example/ads^\n"
        "||x.example^$third-party\nexample.com##.banner\n/regex/\n",
        false);
    b.seal();
    CHECK(st.blocked == 3);
    CHECK(st.unsupported == 4);
    CHECK(b.blocks(N("ads.example.")));
    CHECK(b.blocks(N("a.b.ads.example.")));
    CHECK(b.blocks(N("eu.metrics.example.")));
    CHECK(b.blocks(N("important.example.")));
    CHECK_FALSE(b.blocks(N("path.example.")));
    CHECK_FALSE(b.blocks(N("x.example.")));
    CHECK_FALSE(b.blocks(N("example.com.")));
    CHECK_FALSE(b.blocks(N("notads.example.")));
}

TEST_CASE("allowlists and @@ exceptions win over blocks", "[blocklist]") {
    auto b = sealed("||example.net^\n@@||good.example.net^\n", "0.0.0.0 fine.example.net\n");
    CHECK(b.blocks(N("bad.example.net.")));
    CHECK_FALSE(b.blocks(N("good.example.net.")));
    CHECK_FALSE(b.blocks(N("cdn.good.example.net.")));
    CHECK_FALSE(b.blocks(N("fine.example.net.")));
}

TEST_CASE("a blocked name gets NXDOMAIN with an SOA and EDE 15; others pass on", "[blocklist]") {
    auto list = std::make_shared<filter::Blocklist>(sealed("ads.example\n"));
    filter::BlockSource src(list, *filter::BlockAnswer::parse("nxdomain"), 60);
    auto s = src.lookup(client_asks("x.ads.example.", type::A));
    REQUIRE(s);
    CHECK(s->kind == engine::Step::Kind::nxdomain);
    CHECK(s->ede == ede::blocked);
    REQUIRE(s->authority.size() == 1);
    CHECK(s->authority[0].type == type::SOA);
    CHECK(s->authority[0].ttl == 60);
    CHECK_FALSE(src.lookup(client_asks("www.example.", type::A)));
    // The engine's own lookups are not blocked (an NS name inside a listed domain).
    auto own = client_asks("ns.ads.example.", type::A);
    own.from_client = false;
    CHECK_FALSE(src.lookup(own));
}

TEST_CASE("null and address answers give A and AAAA, NODATA for other types", "[blocklist]") {
    auto list = std::make_shared<filter::Blocklist>(sealed("ads.example\n"));
    filter::BlockSource null(list, *filter::BlockAnswer::parse("null"), 60);
    auto a4 = null.lookup(client_asks("ads.example.", type::A));
    REQUIRE(a4);
    CHECK(a4->kind == engine::Step::Kind::answer);
    CHECK(a4->records.at(0).rdata == std::string(4, '\0'));
    CHECK(null.lookup(client_asks("ads.example.", type::AAAA))->records.at(0).rdata.size() == 16);
    CHECK(null.lookup(client_asks("ads.example.", type::MX))->kind == engine::Step::Kind::nodata);
    filter::BlockSource only_v4(list, *filter::BlockAnswer::parse("192.0.2.99"), 60);
    CHECK(only_v4.lookup(client_asks("ads.example.", type::A))->records.at(0).rdata ==
          ipv4("192.0.2.99"));
    CHECK(only_v4.lookup(client_asks("ads.example.", type::AAAA))->kind ==
          engine::Step::Kind::nodata);
    CHECK_FALSE(filter::BlockAnswer::parse("block"));
    CHECK_FALSE(filter::BlockAnswer::parse("192.0.2.1,192.0.2.2"));
    CHECK(filter::BlockAnswer::parse("192.0.2.1,2001:db8::1"));
}

TEST_CASE("a million-name list fits in 8 bytes a name", "[blocklist]") {
    std::string text;
    for (int i = 0; i < 1'000'000; ++i) text += "host" + std::to_string(i) + ".ads.example\n";
    filter::Blocklist b;
    CHECK(b.add_text(text, false).blocked == 1'000'000);
    b.seal();
    CHECK(b.entries() == 1'000'000);
    CHECK(b.bytes() <= 8'000'000);
    CHECK(b.blocks(N("host999999.ads.example.")));
    CHECK(b.blocks(N("www.host0.ads.example.")));
    CHECK_FALSE(b.blocks(N("host1000000.ads.example.")));
}
