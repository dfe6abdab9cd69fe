#include "cache/cache_file.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cache/cache_persist.hpp"
#include "helpers.hpp"
#include "wire/message.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;
using cache::Credibility;
using cache::Trust;

namespace {

constexpr uint32_t kUnix = 1'800'000'000;

// Caches as a port53d holds them, with their own clock.
struct Caches {
    explicit Caches(std::size_t views = 0, std::size_t bytes = 1 << 20)
        : answers(bytes, 4), rrsets(bytes, 4, {}) {
        for (std::size_t i = 0; i < views; ++i)
            view_caches.push_back(
                std::make_unique<cache::RRsetCache>(bytes, 4, cache::TtlLimits{}));
    }
    cache::CacheSet set() {
        cache::CacheSet s{answers, rrsets};
        for (auto& v : view_caches) s.views.push_back(v.get());
        return s;
    }
    cache::AnswerCache answers;
    cache::RRsetCache rrsets;
    std::vector<std::unique_ptr<cache::RRsetCache>> view_caches;
};

std::vector<uint8_t> stored_query_answer(Caches& c, const char* name, uint32_t ttl, uint32_t now) {
    auto q = query(name, type::A);
    QueryView v;
    REQUIRE(parse_query(q, v) == QueryCheck::ok);
    MessageBuilder b;
    b.header(0, flag::QR | flag::RA | flag::AD);
    b.question(N(name), type::A, cls::IN);
    b.add(Section::answer, a(name, "192.0.2.7", ttl));
    c.answers.store(cache::AnswerKey(v), cache::make_stored_answer(b.bytes(), b.ttl_offsets(), now),
                    now);
    return q;
}

// The answer a client would get for `q` now, parsed; nullopt on a miss.
std::optional<Message> ask(Caches& c, const std::vector<uint8_t>& q, uint32_t now) {
    QueryView v;
    REQUIRE(parse_query(q, v) == QueryCheck::ok);
    std::vector<uint8_t> out(65535);
    std::size_t n = c.answers.answer(cache::AnswerKey(v), v, q, out, {65535, 1232}, now);
    if (n == 0) return std::nullopt;
    return parse_message(std::span(out).first(n));
}

// A cache file of a few of every kind, written 10 s after they were stored.
std::vector<uint8_t> sample_file(std::vector<uint8_t>* q = nullptr) {
    base::ManualClock clock(5'000'000);
    Caches c(1);
    auto query_bytes = stored_query_answer(c, "www.example", 300, clock.now());
    if (q) *q = query_bytes;
    c.rrsets.put({a("www.example", "192.0.2.1", 300)}, {rr("www.example", type::RRSIG, 300, "sig")},
                 Trust{Credibility::auth_answer, Security::secure}, clock.now());
    c.rrsets.put({a("short.example", "192.0.2.2", 20)}, {}, Trust{}, clock.now());
    c.rrsets.put_negative(N("gone.example"), type::A, cls::IN, true, {soa("example", 600, 600)},
                          Trust{Credibility::auth_authority, Security::insecure}, clock.now());
    c.rrsets.put({a("bad.example", "192.0.2.3", 300)}, {},
                 Trust{Credibility::answer, Security::bogus, ede::dnssec_bogus}, clock.now(), 60);
    c.view_caches[0]->put({a("inside.example", "10.0.0.1", 300)}, {}, Trust{}, clock.now());
    clock.advance(10);
    return cache::serialize_caches(c.set(), clock.now(), kUnix);
}

}  // namespace

TEST_CASE("a cache file round trip keeps records, expiry, credibility and validation state",
          "[cachefile]") {
    std::vector<uint8_t> q;
    auto file = sample_file(&q);
    // 30 s later on the wall clock, in a process whose monotonic clock reads something else.
    uint32_t now = 2'000'000;
    Caches c(1);
    auto report = cache::restore_caches(file, c.set(), now, kUnix + 30);
    CHECK(report.error.empty());
    CHECK(report.loaded == 5);
    CHECK(report.expired == 1);  // short.example had 20 s left at the dump
    CHECK(report.skipped == 0);
    auto www = c.rrsets.get(N("www.example"), type::A, cls::IN, now);
    REQUIRE(www);
    CHECK(www->records.at(0).ttl == 300 - 10 - 30);
    CHECK(www->rrsigs.size() == 1);
    CHECK(www->trust.credibility == Credibility::auth_answer);
    CHECK(www->trust.security == Security::secure);
    auto gone = c.rrsets.get_negative(N("gone.example"), type::AAAA, cls::IN, now);
    REQUIRE(gone);
    CHECK(gone->nxdomain);
    CHECK(gone->trust.security == Security::insecure);
    auto bad = c.rrsets.get(N("bad.example"), type::A, cls::IN, now);
    REQUIRE(bad);
    CHECK(bad->trust.security == Security::bogus);
    CHECK(bad->trust.ede == ede::dnssec_bogus);
    CHECK(bad->records.at(0).ttl == 60 - 40);
    CHECK_FALSE(c.rrsets.get(N("short.example"), type::A, cls::IN, now));
    CHECK(c.view_caches[0]->get(N("inside.example"), type::A, cls::IN, now));
    auto m = ask(c, q, now);
    REQUIRE(m);
    CHECK(m->has(flag::AD));
    REQUIRE(m->answer.size() == 1);
    CHECK(m->answer[0].ttl == 300 - 40);
    CHECK_FALSE(ask(c, q, now + 260));  // and it still expires on time
}

TEST_CASE("a cache file written long ago gives nothing", "[cachefile]") {
    auto file = sample_file();
    Caches c(1);
    auto report = cache::restore_caches(file, c.set(), 2'000'000, kUnix + 100'000);
    CHECK(report.error.empty());
    CHECK(report.loaded == 0);
    CHECK(report.expired == 6);
    CHECK(c.rrsets.entries() == 0);
    CHECK(c.answers.entries() == 0);
}

TEST_CASE("a damaged cache file is refused whole: any byte changed, any length cut",
          "[cachefile]") {
    auto file = sample_file();
    for (std::size_t i = 0; i < file.size(); ++i) {
        auto bad = file;
        bad[i] ^= 0x41;
        Caches c(1);
        auto report = cache::restore_caches(bad, c.set(), 2'000'000, kUnix);
        INFO("byte " << i);
        CHECK_FALSE(report.error.empty());
        CHECK(report.loaded == 0);
        CHECK(c.rrsets.entries() + c.answers.entries() + c.view_caches[0]->entries() == 0);
    }
    for (std::size_t len = 0; len < file.size(); ++len) {
        Caches c(1);
        auto report = cache::restore_caches(std::span(file).first(len), c.set(), 2'000'000, kUnix);
        INFO("length " << len);
        CHECK_FALSE(report.error.empty());
        CHECK(c.rrsets.entries() + c.answers.entries() == 0);
    }
    auto longer = file;
    longer.push_back(0);
    Caches c(1);
    CHECK_FALSE(cache::restore_caches(longer, c.set(), 2'000'000, kUnix).error.empty());
}

TEST_CASE("another format version, another byte order or a foreign file is ignored",
          "[cachefile]") {
    auto file = sample_file();
    auto reseal = [](std::vector<uint8_t> f) {  // a valid checksum, so only the field speaks
        f.resize(f.size() - 8);
        uint64_t sum = cache::cache_file_checksum(f);
        for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(sum >> (8 * i)));
        return f;
    };
    Caches c(1);
    auto v2 = file;
    v2[8] = 2;
    auto r = cache::restore_caches(reseal(v2), c.set(), 2'000'000, kUnix);
    CHECK(r.error.find("format 2") != std::string::npos);
    auto swapped = file;
    std::swap(swapped[12], swapped[15]);
    r = cache::restore_caches(reseal(swapped), c.set(), 2'000'000, kUnix);
    CHECK(r.error.find("byte order") != std::string::npos);
    std::string text = "[cache]\nsize_mb = 4\n";
    r = cache::restore_caches(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                              c.set(), 2'000'000, kUnix);
    CHECK(r.error == "not a port53 cache file");
    CHECK(c.rrsets.entries() + c.answers.entries() == 0);
}

TEST_CASE("records that do not parse are skipped, the others loaded", "[cachefile]") {
    std::vector<uint8_t> q;
    auto good = sample_file(&q);
    std::string why;
    auto header = cache::check_cache_file(good, why);
    REQUIRE(header);
    cache::CacheFileWriter w(kUnix, 0);
    cache::cache_file_records(good, *header, [&](const cache::CacheFileRecord& r) {
        w.add(r.section, r.key, r.value, r.expires);
        // The same record damaged: value cut short, a byte off, a key that is no name.
        auto cut = std::vector<uint8_t>(r.value.begin(), r.value.end() - 1);
        w.add(r.section, r.key, cut, r.expires);
        auto flipped = std::vector<uint8_t>(r.value.begin(), r.value.end());
        flipped[0] ^= 0x80;
        w.add(r.section, r.key, flipped, r.expires);
        w.add(r.section,
              std::string("\x05"
                          "ab",
                          3),
              r.value, r.expires);
    });
    w.add(9, "x", {}, kUnix + 100);  // a section this port53d does not know
    auto file = w.finish();
    Caches c;  // no views now: the view's record is skipped too
    auto report = cache::restore_caches(file, c.set(), 2'000'000, kUnix);
    CHECK(report.error.empty());
    CHECK(report.loaded == 5);  // the answer, www, short, gone and bad
    CHECK(report.expired == 0);
    CHECK(report.skipped == 5 * 3 + 4 + 1);  // damaged ones, the view's four, section 9
    CHECK(c.rrsets.get(N("www.example"), type::A, cls::IN, 2'000'000));
    CHECK(ask(c, q, 2'000'000));
}

TEST_CASE("an answer whose TTL offsets point outside it is never rendered", "[cachefile]") {
    std::vector<uint8_t> q;
    auto good = sample_file(&q);
    std::string why;
    auto header = cache::check_cache_file(good, why);
    REQUIRE(header);
    // Every 16-bit field of the stored answer set to values that would send render_reply
    // out of bounds: each is refused, or the answer still renders inside its buffer.
    cache::cache_file_records(good, *header, [&](const cache::CacheFileRecord& r) {
        if (r.section != cache::answers_section) return;
        for (std::size_t i = 0; i + 1 < r.value.size(); ++i) {
            for (uint16_t v : {uint16_t{0}, uint16_t{0xFFFF}, uint16_t{0x8000}, uint16_t{5}}) {
                std::vector<uint8_t> blob(r.value.begin(), r.value.end());
                std::memcpy(&blob[i], &v, 2);
                Caches c;
                if (c.answers.restore(r.key, blob, 2'000'100, 2'000'000, kUnix))
                    ask(c, q, 2'000'000);
            }
        }
    });
}

TEST_CASE("loading is bounded by the caches' size", "[cachefile]") {
    base::ManualClock clock(5'000'000);
    Caches big(0, 8 << 20);
    for (int i = 0; i < 5000; ++i) {
        std::string name = "n" + std::to_string(i) + ".example";
        big.rrsets.put({a(name.c_str(), "192.0.2.1", 300)}, {}, Trust{}, clock.now());
    }
    auto file = cache::serialize_caches(big.set(), clock.now(), kUnix);
    Caches small(0, 64 << 10);
    auto report = cache::restore_caches(file, small.set(), 2'000'000, kUnix);
    CHECK(report.loaded == 5000);  // each restored, then evicted as the bound asks
    CHECK(small.rrsets.bytes() <= 64 << 10);
    CHECK(small.rrsets.entries() < 5000);
    CHECK(small.rrsets.get(N("n4999.example"), type::A, cls::IN, 2'000'000));  // the newest stay
}

TEST_CASE("the cache file is replaced atomically and read back within a bound", "[cachefile]") {
    auto dir = std::filesystem::temp_directory_path() / "p53-cachefile-test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string path = (dir / "cache.dump").string();
    auto file = sample_file();
    CHECK(cache::write_file_atomically(path, file).empty());
    CHECK(cache::write_file_atomically(path, file).empty());                  // replaces
    CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);  // no temp left
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
    std::string why;
    auto back = cache::read_file_bounded(path, 1 << 20, why);
    REQUIRE(back);
    CHECK(*back == file);
    CHECK_FALSE(cache::read_file_bounded(path, 100, why));
    CHECK_FALSE(cache::read_file_bounded((dir / "none").string(), 1 << 20, why));
    CHECK_FALSE(cache::write_file_atomically((dir / "no/such/dir").string(), file).empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("flush-bogus forgets only what failed validation", "[cachefile]") {
    base::ManualClock clock;
    cache::RRsetCache c(1 << 20, 4, {});
    c.put({a("ok.example", "192.0.2.1")}, {}, Trust{Credibility::answer, Security::secure},
          clock.now());
    c.put({a("bad.example", "192.0.2.1")}, {}, Trust{Credibility::answer, Security::bogus},
          clock.now());
    c.put_negative(N("bad2.example"), type::A, cls::IN, false, {soa("example")},
                   Trust{Credibility::auth_authority, Security::bogus}, clock.now());
    CHECK(c.forget_bogus() == 2);
    CHECK(c.get(N("ok.example"), type::A, cls::IN, clock.now()));
    CHECK_FALSE(c.get(N("bad.example"), type::A, cls::IN, clock.now()));
    CHECK_FALSE(c.get_negative(N("bad2.example"), type::A, cls::IN, clock.now()));
}
