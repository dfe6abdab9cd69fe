#include "engine/engine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "base/clock.hpp"
#include "cache/rrset_cache.hpp"
#include "cache/shared_entry.hpp"
#include "engine/answer_source.hpp"
#include "scripted_network.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;
using engine::Outcome;

namespace {

// A small hierarchy: root (192.0.2.1, 192.0.2.11) → lab. (192.0.2.2) and example. (192.0.2.3).
struct Lab {
    base::ManualClock clock;
    cache::RRsetCache cache{1 << 20, 4, {}};
    upstream::Infra infra{{}};
    ScriptedNetwork net;
    engine::EngineSettings settings;
    std::vector<std::string> roots{"192.0.2.1"};
    std::function<void(engine::Engine&)> setup;  // e.g. add answer sources

    Lab() {
        settings.qname_minimisation = false;
        settings.validate = false;    // the scripted zones are unsigned
        settings.prime_root = false;  // the scripts count queries from the hints on
        refer("192.0.2.1", "lab.", "ns.lab.", "192.0.2.2");
        refer("192.0.2.1", "example.", "ns.example.", "192.0.2.3");
    }
    void refer(const char* server, const char* zone, const char* ns, const char* glue) {
        Scripted r;
        r.flags = 0;
        r.authority = {name_rr(zone, type::NS, ns, 86400)};
        if (glue) r.additional = {a(ns, glue, 86400)};
        net.on(server, zone, 0, r, true);
        for (uint16_t t : {type::A, type::AAAA, type::NS, type::MX, type::TXT, type::CNAME})
            net.on(server, zone, t, r, true);
    }
    Outcome resolve(const char* name, uint16_t type) {
        upstream::RootHints hints;
        for (const auto& ip : roots) {
            hints.ns.push_back(name_rr(".", type::NS, ("root-" + ip + ".").c_str()));
            hints.addrs.push_back(a(("root-" + ip + ".").c_str(), ip.c_str()));
        }
        engine::Engine engine(settings, hints, cache, infra, net, clock);
        if (setup) setup(engine);
        boost::asio::io_context io;
        Outcome out;
        boost::asio::co_spawn(io, engine.resolve(wire::Question{N(name), type, cls::IN}),
                              [&](std::exception_ptr e, Outcome o) {
                                  if (e) std::rethrow_exception(e);
                                  out = std::move(o);
                              });
        io.run();
        return out;
    }
    std::size_t asked(const std::string& needle) const {
        std::size_t n = 0;
        for (const auto& l : net.log) n += l.find(needle) != std::string::npos;
        return n;
    }
};

Scripted answer(std::vector<Record> rrs, uint16_t rc = 0) {
    Scripted s;
    s.flags = static_cast<uint16_t>(flag::AA | rc);
    s.answer = std::move(rrs);
    return s;
}

// An answer source that knows one name (its records, or a CNAME onwards) and writes down
// every question it is asked.
struct OneNameSource final : engine::AnswerSource {
    Name owner;
    std::vector<Record> records;
    std::vector<std::pair<std::string, bool>>* asked;  // name, from_client

    std::string_view name() const override { return "one-name"; }
    base::awaitable<std::optional<engine::Step>> answer(const engine::SourceQuestion& q,
                                                        engine::Budget&) override {
        asked->emplace_back(q.question.name.to_text(), q.from_client);
        if (!(q.question.name == owner)) co_return std::nullopt;
        engine::Step s;
        s.kind = engine::Step::Kind::answer;
        s.records = records;
        if (!records.empty() && records.front().type == type::CNAME) {
            s.kind = engine::Step::Kind::cname;
            s.next = *rdata_target(type::CNAME, records.front().rdata);
        }
        co_return s;
    }
};

void add_one_name_source(Lab& lab, const char* owner, std::vector<Record> records,
                         std::vector<std::pair<std::string, bool>>& asked) {
    lab.setup = [owner, records, &asked](engine::Engine& e) {
        auto src = std::make_unique<OneNameSource>();
        src->owner = N(owner);
        src->records = records;
        src->asked = &asked;
        e.add_source(std::move(src));
    };
}

// cross.lab. is served by ns.provider.example., a name without glue in another TLD.
void serve_cross_lab(Lab& lab) {
    lab.refer("192.0.2.2", "cross.lab.", "ns.provider.example.", nullptr);
    lab.net.on("192.0.2.3", "ns.provider.example.", type::A,
               answer({a("ns.provider.example.", "192.0.2.4")}));
    lab.net.on("192.0.2.3", "ns.provider.example.", type::AAAA, answer({}));
    lab.net.on("192.0.2.4", "www.cross.lab.", type::A,
               answer({a("www.cross.lab.", "198.51.100.2")}));
}

}  // namespace

TEST_CASE("follows a referral with glue and then answers from cache", "[engine]") {
    Lab lab;
    lab.net.on("192.0.2.2", "www.lab.", type::A, answer({a("www.lab.", "198.51.100.1")}));
    Outcome o = lab.resolve("www.lab.", type::A);
    CHECK(o.rcode == rcode::NOERROR);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].rdata == ipv4("198.51.100.1"));
    CHECK(lab.net.log.size() == 2);
    lab.resolve("www.lab.", type::A);
    CHECK(lab.net.log.size() == 2);  // second time: cache only
}

TEST_CASE("resolves NS names that live in another TLD", "[engine]") {
    Lab lab;
    serve_cross_lab(lab);
    Outcome o = lab.resolve("www.cross.lab.", type::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].rdata == ipv4("198.51.100.2"));
}

TEST_CASE("chases a CNAME into another zone", "[engine]") {
    Lab lab;
    lab.net.on("192.0.2.2", "www.lab.", type::A,
               answer({name_rr("www.lab.", type::CNAME, "host.example.")}));
    lab.net.on("192.0.2.3", "host.example.", type::A, answer({a("host.example.", "198.51.100.3")}));
    Outcome o = lab.resolve("www.lab.", type::A);
    REQUIRE(o.answer.size() == 2);
    CHECK(o.answer[0].type == type::CNAME);
    CHECK(o.answer[1].owner == N("host.example."));
}

TEST_CASE("synthesises a CNAME from a DNAME", "[engine]") {
    Lab lab;
    lab.net.on("192.0.2.2", "www.old.lab.", type::A,
               answer({name_rr("old.lab.", type::DNAME, "example."),
                       name_rr("www.old.lab.", type::CNAME, "evil.example.")}));
    lab.net.on("192.0.2.3", "www.example.", type::A, answer({a("www.example.", "198.51.100.4")}));
    Outcome o = lab.resolve("www.old.lab.", type::A);
    REQUIRE(o.answer.size() == 3);
    CHECK(o.answer[0].type == type::DNAME);
    CHECK(rdata_target(type::CNAME, o.answer[1].rdata) == N("www.example."));
    CHECK(o.answer[2].rdata == ipv4("198.51.100.4"));
}

TEST_CASE("NXDOMAIN carries the SOA with the negative TTL and is cached", "[engine]") {
    Lab lab;
    Scripted nx = answer({}, rcode::NXDOMAIN);
    nx.authority = {soa("lab.", 3600, 120)};
    lab.net.on("192.0.2.2", "nope.lab.", type::A, nx);
    Outcome o = lab.resolve("nope.lab.", type::A);
    CHECK(o.rcode == rcode::NXDOMAIN);
    REQUIRE(o.authority.size() == 1);
    CHECK(o.authority[0].ttl == 120);
    std::size_t before = lab.net.log.size();
    CHECK(lab.resolve("nope.lab.", type::AAAA).rcode == rcode::NXDOMAIN);
    CHECK(lab.net.log.size() == before);
}

TEST_CASE("NODATA is an empty NOERROR with the SOA", "[engine]") {
    Lab lab;
    Scripted nodata = answer({});
    nodata.authority = {soa("lab.")};
    lab.net.on("192.0.2.2", "www.lab.", type::AAAA, nodata);
    Outcome o = lab.resolve("www.lab.", type::AAAA);
    CHECK(o.rcode == rcode::NOERROR);
    CHECK(o.answer.empty());
    CHECK(o.authority.size() == 1);
}

TEST_CASE("retries over TCP when the UDP answer is truncated", "[engine]") {
    Lab lab;
    Scripted big = answer({rr("big.lab.", type::TXT, 60,
                              "\x03"
                              "abc")});
    big.truncate_udp = true;
    lab.net.on("192.0.2.2", "big.lab.", type::TXT, big);
    Outcome o = lab.resolve("big.lab.", type::TXT);
    CHECK(o.answer.size() == 1);
    CHECK(lab.asked("big.lab. 16 tcp") == 1);
}

TEST_CASE("falls back to plain DNS when a server rejects EDNS", "[engine]") {
    Lab lab;
    Scripted old = answer({a("old.lab.", "198.51.100.5")});
    old.reject_edns = true;
    lab.net.on("192.0.2.2", "old.lab.", type::A, old);
    Outcome o = lab.resolve("old.lab.", type::A);
    CHECK(o.answer.size() == 1);
    CHECK(lab.asked("old.lab. 1 noedns") == 1);
}

TEST_CASE("fails over from a silent server to another", "[engine]") {
    Lab lab;
    lab.roots = {"192.0.2.99", "192.0.2.1"};  // .99 is not scripted: it times out
    lab.net.on("192.0.2.2", "www.lab.", type::A, answer({a("www.lab.", "198.51.100.1")}));
    for (int i = 0; i < 5; ++i) {
        lab.cache.clear();
        CHECK(lab.resolve("www.lab.", type::A).answer.size() == 1);
    }
    // Once it failed, the silent server is avoided rather than asked every time.
    CHECK(lab.asked("192.0.2.99") <= 2);
}

TEST_CASE("lame servers are skipped and all-lame gives SERVFAIL", "[engine]") {
    Lab lab;
    Scripted refused;
    refused.flags = rcode::REFUSED;
    lab.net.on("192.0.2.2", "lame.lab.", type::A, refused, true);
    CHECK(lab.resolve("www.lame.lab.", type::A).rcode == rcode::SERVFAIL);
}

TEST_CASE("records outside the zone asked are not believed", "[engine]") {
    Lab lab;
    lab.net.on("192.0.2.2", "www.lab.", type::A,
               answer({name_rr("www.lab.", type::CNAME, "bank.example."),
                       a("bank.example.", "203.0.113.66")}));
    lab.net.on("192.0.2.3", "bank.example.", type::A, answer({a("bank.example.", "198.51.100.7")}));
    Outcome o = lab.resolve("www.lab.", type::A);
    REQUIRE(o.answer.size() == 2);
    CHECK(o.answer[1].rdata == ipv4("198.51.100.7"));
    CHECK(lab.asked("192.0.2.3 bank.example.") == 1);
}

TEST_CASE("a CNAME loop ends in SERVFAIL", "[engine]") {
    Lab lab;
    lab.net.on("192.0.2.2", "a.lab.", type::A,
               answer({name_rr("a.lab.", type::CNAME, "b.example.")}));
    lab.net.on("192.0.2.3", "b.example.", type::A,
               answer({name_rr("b.example.", type::CNAME, "a.lab.")}));
    CHECK(lab.resolve("a.lab.", type::A).rcode == rcode::SERVFAIL);
}

TEST_CASE("QNAME minimisation shows the root only the TLD", "[engine]") {
    Lab lab;
    lab.settings.qname_minimisation = true;
    lab.net.on("192.0.2.2", "deep.www.lab.", type::A, answer({a("deep.www.lab.", "198.51.100.8")}));
    Scripted nodata = answer({});
    nodata.authority = {soa("lab.")};
    lab.net.on("192.0.2.2", "www.lab.", type::A, nodata);
    Outcome o = lab.resolve("deep.www.lab.", type::A);
    CHECK(o.answer.size() == 1);
    CHECK(lab.asked("192.0.2.1 lab. 1") == 1);
    CHECK(lab.asked("192.0.2.1 deep") == 0);
}

TEST_CASE("the upstream query budget stops runaway resolutions", "[engine]") {
    Lab lab;
    lab.settings.max_upstream_queries = 3;
    // Every NS name needs its own lookup in a zone that never answers.
    Scripted many;
    many.flags = 0;
    for (int i = 0; i < 50; ++i)
        many.authority.push_back(
            name_rr("nx.lab.", type::NS, ("ns" + std::to_string(i) + ".sink.example.").c_str()));
    lab.net.on("192.0.2.2", "nx.lab.", type::A, many, true);
    CHECK(lab.resolve("www.nx.lab.", type::A).rcode == rcode::SERVFAIL);
    CHECK(lab.net.log.size() <= 4);
}

TEST_CASE("0x20: names go out in random case; servers that do not echo it get plain names",
          "[engine]") {
    Lab lab;
    lab.settings.use_0x20 = true;
    const char* name = "abcdefghijklmnopqrst.lab.";
    lab.net.on("192.0.2.2", name, type::A, answer({a(name, "198.51.100.9")}));
    Outcome o = lab.resolve(name, type::A);
    REQUIRE(o.answer.size() == 1);
    // 20 letters: the chance that every one kept its case is 1 in a million.
    CHECK(lab.asked("192.0.2.2 abcdefghijklmnopqrst.lab.") == 0);
    CHECK(lab.net.unwanted == 0);

    Scripted plain = answer({a("abcdefghijklmnopqrst.nocase.lab.", "198.51.100.10")});
    plain.lowercase_question = true;
    lab.net.on("192.0.2.2", "abcdefghijklmnopqrst.nocase.lab.", type::A, plain);
    lab.cache.clear();
    Outcome fallback = lab.resolve("abcdefghijklmnopqrst.nocase.lab.", type::A);
    CHECK(fallback.answer.size() == 1);
    CHECK(lab.net.unwanted == 1);
    CHECK(lab.infra.no_0x20(*upstream::ServerAddr::parse("192.0.2.2")));
    CHECK(lab.asked("192.0.2.2 abcdefghijklmnopqrst.nocase.lab.") == 1);  // the plain retry
}

TEST_CASE("an added answer source answers before the cache and the network", "[engine]") {
    Lab lab;
    std::vector<std::pair<std::string, bool>> asked;
    add_one_name_source(lab, "nas.home.", {a("nas.home.", "192.0.2.10")}, asked);
    // The cache holds another answer for the name: the source comes first.
    lab.cache.put({a("nas.home.", "198.51.100.9")}, {}, cache::Trust{cache::Credibility::answer},
                  lab.clock.now());
    Outcome o = lab.resolve("nas.home.", type::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].rdata == ipv4("192.0.2.10"));
    CHECK(lab.net.log.empty());
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].second);  // a client's question
}

TEST_CASE("a source that does not know the name leaves it to the cache and iteration", "[engine]") {
    Lab lab;
    std::vector<std::pair<std::string, bool>> asked;
    add_one_name_source(lab, "nas.home.", {a("nas.home.", "192.0.2.10")}, asked);
    lab.net.on("192.0.2.2", "www.lab.", type::A, answer({a("www.lab.", "198.51.100.1")}));
    Outcome o = lab.resolve("www.lab.", type::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].rdata == ipv4("198.51.100.1"));
    CHECK(lab.net.log.size() == 2);
    lab.resolve("www.lab.", type::A);
    CHECK(lab.net.log.size() == 2);  // the cache, still asked after the source
    CHECK(asked.size() == 2);
}

TEST_CASE("a CNAME from an answer source is followed by iteration", "[engine]") {
    Lab lab;
    std::vector<std::pair<std::string, bool>> asked;
    add_one_name_source(lab, "alias.home.", {name_rr("alias.home.", type::CNAME, "www.lab.")},
                        asked);
    lab.net.on("192.0.2.2", "www.lab.", type::A, answer({a("www.lab.", "198.51.100.1")}));
    Outcome o = lab.resolve("alias.home.", type::A);
    REQUIRE(o.answer.size() == 2);
    CHECK(o.answer[0].type == type::CNAME);
    CHECK(o.answer[1].rdata == ipv4("198.51.100.1"));
    REQUIRE(asked.size() == 2);  // each link of the chain asks the sources again
    CHECK(asked[1].first == "www.lab.");
}

TEST_CASE("answer sources see the engine's own lookups as not from a client", "[engine]") {
    Lab lab;
    std::vector<std::pair<std::string, bool>> asked;
    add_one_name_source(lab, "nothing.home.", {}, asked);
    serve_cross_lab(lab);
    Outcome o = lab.resolve("www.cross.lab.", type::A);
    REQUIRE(o.answer.size() == 1);
    bool ns_lookup_seen = false;
    for (const auto& [name, from_client] : asked) {
        if (name == "www.cross.lab.") CHECK(from_client);
        if (name == "ns.provider.example.") {
            CHECK_FALSE(from_client);
            ns_lookup_seen = true;
        }
    }
    CHECK(ns_lookup_seen);
}

namespace {

// The second level (engine/second_level.cpp) on a map instead of Redis.
struct MapStore final : upstream::SharedStore {
    std::map<std::string, std::string> values;
    std::vector<std::string> asked, written;
    std::string prefix_ = "t";

    base::awaitable<upstream::StoreReply> get(std::string key) override {
        asked.push_back(key);
        auto it = values.find(key);
        if (it == values.end())
            co_return upstream::StoreReply{upstream::StoreReply::Status::miss, {}};
        co_return upstream::StoreReply{upstream::StoreReply::Status::hit, it->second};
    }
    bool put(const std::string& key, const std::string& value, uint32_t) override {
        written.push_back(key);
        values[key] = value;
        return true;
    }
    const std::string& prefix() const override { return prefix_; }
};

std::shared_ptr<MapStore> add_store(Lab& lab) {
    auto store = std::make_shared<MapStore>();
    lab.setup = [store](engine::Engine& e) { e.set_second_level(store); };
    return store;
}

std::string www_lab_key() {
    return cache::shared_key("t", Question{N("www.lab."), type::A, cls::IN});
}

}  // namespace

TEST_CASE("the second level is asked after the cache and before iterating", "[engine][shared]") {
    Lab lab;
    auto store = add_store(lab);
    cache::SharedEntry e;
    e.security = Security::secure;  // what a writer claims
    e.written = lab.clock.unix_now();
    e.zone = N("lab.");
    e.next = N("www.lab.");
    e.records = {a("www.lab.", "198.51.100.7")};
    store->values[www_lab_key()] = cache::encode_shared(e);
    Outcome o = lab.resolve("www.lab.", type::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].rdata == ipv4("198.51.100.7"));
    CHECK(lab.net.log.empty());
    // Validation is off here: nothing vouches for it, whatever the writer said.
    CHECK(o.security == Security::unchecked);
    // Now in the engine's own cache: the store is not asked again.
    std::size_t asked = store->asked.size();
    lab.resolve("www.lab.", type::A);
    CHECK(store->asked.size() == asked);
}

TEST_CASE("a value that does not parse or fit is ignored and the name iterated",
          "[engine][shared]") {
    Lab lab;
    auto store = add_store(lab);
    lab.net.on("192.0.2.2", "www.lab.", type::A, answer({a("www.lab.", "198.51.100.1")}));
    store->values[www_lab_key()] = "P53\1garbage";
    SECTION("garbage") {}
    SECTION("another question's entry under this key") {
        cache::SharedEntry e;
        e.written = lab.clock.unix_now();
        e.zone = N("lab.");
        e.next = N("mail.lab.");
        e.records = {a("mail.lab.", "198.51.100.7")};
        store->values[www_lab_key()] = cache::encode_shared(e);
    }
    SECTION("a zone below the name") {
        cache::SharedEntry e;
        e.written = lab.clock.unix_now();
        e.zone = N("x.www.lab.");
        e.next = N("www.lab.");
        e.records = {a("www.lab.", "198.51.100.7")};
        store->values[www_lab_key()] = cache::encode_shared(e);
    }
    Outcome o = lab.resolve("www.lab.", type::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].rdata == ipv4("198.51.100.1"));
    CHECK_FALSE(lab.net.log.empty());
}

TEST_CASE("only validated answers are written to the second level", "[engine][shared]") {
    Lab lab;  // validation off: every answer is unchecked
    auto store = add_store(lab);
    lab.net.on("192.0.2.2", "www.lab.", type::A, answer({a("www.lab.", "198.51.100.1")}));
    Outcome o = lab.resolve("www.lab.", type::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(store->asked.size() >= 1);
    CHECK(store->written.empty());
}

TEST_CASE("sources added after the second level still come before the cache", "[engine][shared]") {
    Lab lab;
    auto store = std::make_shared<MapStore>();
    std::vector<std::pair<std::string, bool>> asked;
    lab.setup = [store, &asked](engine::Engine& e) {
        e.set_second_level(store);
        auto src = std::make_unique<OneNameSource>();
        src->owner = N("nas.home.");
        src->records = {a("nas.home.", "192.0.2.10")};
        src->asked = &asked;
        e.add_source(std::move(src));
    };
    lab.cache.put({a("nas.home.", "198.51.100.9")}, {}, cache::Trust{cache::Credibility::answer},
                  lab.clock.now());
    Outcome o = lab.resolve("nas.home.", type::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].rdata == ipv4("192.0.2.10"));
    CHECK(store->asked.empty());
}
