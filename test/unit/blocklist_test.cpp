#include "filter/blocklist.hpp"

#include <catch2/catch.hpp>

#include "filter/block_source.hpp"
#include "filter/rpz.hpp"
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

// What a BlockSource answers from: `lists` as list 0 ("config"), and RPZ zones.
std::shared_ptr<const filter::Policies> with_lists(filter::Blocklist lists,
                                                   std::vector<filter::RpzZone> rpz = {}) {
    auto p = std::make_shared<filter::Policies>();
    p->lists = std::move(lists);
    p->labels = {"config"};
    p->rpz = std::move(rpz);
    return p;
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
    auto list = with_lists(sealed("ads.example\n"));
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
    auto list = with_lists(sealed("ads.example\n"));
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

namespace {

constexpr const char* kRpz = R"($TTL 300
$ORIGIN rpz.local.
@ SOA localhost. root.localhost. 1 3600 600 86400 60
@ NS localhost.
nx.example CNAME .
nodata.example CNAME *.
drop.example CNAME rpz-drop.
*.wild.example CNAME .
addr.example A 192.0.2.1
addr.example AAAA 2001:db8::1
alias.example CNAME target.example.
*.sub.example A 192.0.2.7
ok.ads.example CNAME rpz-passthru.
32.1.2.0.192.rpz-ip CNAME .
ns.evil.example.rpz-nsdname CNAME .
24.0.2.0.192.rpz-client-ip CNAME rpz-drop.
32.1.2.0.192.rpz-nsip CNAME .
tcp.example CNAME rpz-tcp-only.
)";

struct Rpz {
    std::shared_ptr<filter::Blocklist> list = std::make_shared<filter::Blocklist>();
    filter::RpzStats stats;
    std::unique_ptr<filter::BlockSource> src;
    explicit Rpz(std::string_view blocks = "ads.example\n") {
        list->add_text(blocks, false);
        std::vector<filter::RpzZone> zones;
        zones.emplace_back("test.rpz");
        stats = zones.back().load_text(kRpz, *list);
        zones.back().seal();
        list->seal();
        src = std::make_unique<filter::BlockSource>(with_lists(*list, std::move(zones)),
                                                    *filter::BlockAnswer::parse("nxdomain"), 60);
    }
    std::optional<engine::Step> ask(const char* name, uint16_t t = type::A) const {
        return src->lookup(client_asks(name, t));
    }
};

}  // namespace

TEST_CASE("RPZ actions: NXDOMAIN, NODATA and DROP, with EDE 17", "[blocklist][rpz]") {
    Rpz r;
    CHECK(r.stats.triggers == 8);
    CHECK(r.stats.passthru == 1);
    auto nx = r.ask("nx.example.");
    REQUIRE(nx);
    CHECK(nx->kind == engine::Step::Kind::nxdomain);
    CHECK(nx->ede == ede::filtered);
    REQUIRE(nx->authority.size() == 1);
    CHECK(nx->authority[0].type == type::SOA);
    auto nodata = r.ask("NoData.Example.", type::MX);
    REQUIRE(nodata);
    CHECK(nodata->kind == engine::Step::Kind::nodata);
    CHECK(nodata->ede == ede::filtered);
    CHECK(r.ask("drop.example.")->kind == engine::Step::Kind::nxdomain);
    // Exact triggers are exact: nothing below them.
    CHECK_FALSE(r.ask("www.nx.example."));
    // The origin is stripped: the owner names as written are not triggers.
    CHECK_FALSE(r.ask("nx.example.rpz.local."));
    CHECK_FALSE(r.ask("rpz.local."));
}

TEST_CASE("RPZ wildcards cover the names below, not the name itself", "[blocklist][rpz]") {
    Rpz r;
    CHECK_FALSE(r.ask("wild.example."));
    REQUIRE(r.ask("a.wild.example."));
    CHECK(r.ask("a.wild.example.")->kind == engine::Step::Kind::nxdomain);
    CHECK(r.ask("x.y.wild.example.")->kind == engine::Step::Kind::nxdomain);
    CHECK_FALSE(r.ask("notwild.example."));
    auto sub = r.ask("host.sub.example.");
    REQUIRE(sub);
    CHECK(sub->kind == engine::Step::Kind::answer);
    CHECK(sub->records.at(0).owner == N("host.sub.example."));
    CHECK(sub->records.at(0).rdata == ipv4("192.0.2.7"));
    CHECK_FALSE(r.ask("sub.example."));
}

TEST_CASE("RPZ local data answers A, AAAA and follows a CNAME", "[blocklist][rpz]") {
    Rpz r;
    auto a = r.ask("addr.example.", type::A);
    REQUIRE(a);
    CHECK(a->kind == engine::Step::Kind::answer);
    CHECK(a->ede == ede::filtered);
    REQUIRE(a->records.size() == 1);
    CHECK(a->records[0].owner == N("addr.example."));
    CHECK(a->records[0].ttl == 300);
    CHECK(a->records[0].rdata == ipv4("192.0.2.1"));
    auto aaaa = r.ask("addr.example.", type::AAAA);
    REQUIRE(aaaa);
    CHECK(aaaa->records.at(0).rdata.size() == 16);
    // Local data replaces all of the name's data: other types get NODATA.
    CHECK(r.ask("addr.example.", type::TXT)->kind == engine::Step::Kind::nodata);
    auto alias = r.ask("alias.example.", type::A);
    REQUIRE(alias);
    CHECK(alias->kind == engine::Step::Kind::cname);
    CHECK(alias->next == N("target.example."));
    REQUIRE(alias->records.size() == 1);
    CHECK(alias->records[0].type == type::CNAME);
    CHECK(r.ask("alias.example.", type::CNAME)->kind == engine::Step::Kind::answer);
}

TEST_CASE("RPZ PASSTHRU wins over a block from another list", "[blocklist][rpz]") {
    Rpz r;
    auto blocked = r.ask("x.ads.example.");
    REQUIRE(blocked);
    CHECK(blocked->ede == ede::blocked);  // the domain list's block, EDE 15
    CHECK_FALSE(r.ask("ok.ads.example."));
    CHECK(r.ask("www.ok.ads.example."));  // passthru is exact, like its trigger
    auto counts = r.src->counts();
    REQUIRE(counts.size() == 2);
    CHECK(counts[0].list == "config");
    CHECK(counts[0].answers == 2);
    CHECK(counts[1].list == "test.rpz");
    CHECK(counts[1].answers == 0);
    r.ask("nx.example.");
    CHECK(r.src->counts()[1].answers == 1);
}

TEST_CASE("RPZ triggers other than QNAME are counted and skipped", "[blocklist][rpz]") {
    Rpz r;
    CHECK(r.stats.unsupported == 5);  // rpz-ip, -nsdname, -client-ip, -nsip and rpz-tcp-only
    CHECK_FALSE(r.ask("32.1.2.0.192.rpz-ip."));
    CHECK_FALSE(r.ask("ns.evil.example."));
    CHECK_FALSE(r.ask("tcp.example."));
}

TEST_CASE("a malformed RPZ zone is refused with file:line", "[blocklist][rpz]") {
    filter::Blocklist allow;
    filter::RpzZone bad("bad.rpz");
    CHECK_THROWS_WITH(bad.load_text("$ORIGIN rpz.local.\n@ SOA a. b. 1 2 3 4 5\n"
                                    "ok.example CNAME .\nbroken.example A 300.1.2.3\n",
                                    allow),
                      Catch::Contains("bad.rpz:4"));
    filter::RpzZone no_soa("nosoa.rpz");
    CHECK_THROWS_WITH(no_soa.load_text("$ORIGIN rpz.local.\nx.example CNAME .\n", allow),
                      Catch::Contains("nosoa.rpz:2") && Catch::Contains("SOA"));
}

TEST_CASE("RPZ triggers take 9 bytes each", "[blocklist][rpz]") {
    std::string text = "$ORIGIN rpz.local.\n@ SOA a. b. 1 2 3 4 5\n";
    for (int i = 0; i < 200'000; ++i) text += "h" + std::to_string(i) + ".ads.example CNAME .\n";
    filter::Blocklist allow;
    filter::RpzZone zone("big.rpz");
    CHECK(zone.load_text(text, allow).triggers == 200'000);
    zone.seal();
    CHECK(zone.bytes() <= 200'000 * 9 + 64);
    CHECK(zone.match(N("h199999.ads.example.")));
    CHECK_FALSE(zone.match(N("h200000.ads.example.")));
}
