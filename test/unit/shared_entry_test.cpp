// The second-level cache's key and value format (cache/shared_entry.hpp): what Redis gives
// back is untrusted input, so every truncation, every changed byte that breaks the layout,
// and every other version is refused rather than read.
#include "cache/shared_entry.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "wire/types.hpp"

using namespace port53;
using namespace port53::test;
using cache::SharedEntry;

namespace {

SharedEntry sample() {
    SharedEntry e;
    e.kind = SharedEntry::Kind::cname;
    e.security = wire::Security::secure;
    e.ede = 6;
    e.written = 1'700'000'000;
    e.zone = N("example");
    e.next = N("target.example");
    e.records = {name_rr("www.example", wire::type::CNAME, "target.example", 300),
                 rr("www.example", wire::type::RRSIG, 300, std::string(40, 'x'))};
    e.authority = {soa("example", 60)};
    return e;
}

bool same(const SharedEntry& a, const SharedEntry& b) {
    return a.kind == b.kind && a.security == b.security && a.ede == b.ede &&
           a.written == b.written && a.zone == b.zone && a.next == b.next &&
           a.records == b.records && a.authority == b.authority;
}

}  // namespace

TEST_CASE("a shared entry reads back as written", "[shared]") {
    SharedEntry e = sample();
    auto got = cache::decode_shared(cache::encode_shared(e));
    REQUIRE(got);
    CHECK(same(*got, e));
    e.kind = SharedEntry::Kind::nxdomain;
    e.security = wire::Security::insecure;
    e.records.clear();
    got = cache::decode_shared(cache::encode_shared(e));
    REQUIRE(got);
    CHECK(same(*got, e));
}

TEST_CASE("every truncation and trailing byte of a value is refused", "[shared]") {
    std::string bytes = cache::encode_shared(sample());
    for (std::size_t n = 0; n < bytes.size(); ++n)
        CHECK_FALSE(cache::decode_shared(std::string_view(bytes).substr(0, n)));
    CHECK_FALSE(cache::decode_shared(bytes + '\0'));
    CHECK_FALSE(cache::decode_shared("garbage"));
    SharedEntry big = sample();  // more than any answer: refused unread
    big.records.assign(300, rr("www.example", wire::type::TXT, 300, std::string(1000, 't')));
    CHECK_FALSE(cache::decode_shared(cache::encode_shared(big)));
}

TEST_CASE("another format, kind or security state is refused", "[shared]") {
    std::string bytes = cache::encode_shared(sample());
    auto with = [&](std::size_t at, char c) {
        std::string b = bytes;
        b[at] = c;
        return cache::decode_shared(b);
    };
    CHECK_FALSE(with(0, 'Q'));                       // magic
    CHECK_FALSE(with(3, cache::kSharedFormat + 1));  // a later format
    CHECK_FALSE(with(4, 0));                         // kind
    CHECK_FALSE(with(4, 5));
    // Only secure and insecure are ever written: unchecked and bogus do not read back.
    CHECK_FALSE(with(5, static_cast<char>(wire::Security::unchecked)));
    CHECK_FALSE(with(5, static_cast<char>(wire::Security::bogus)));
    CHECK(with(5, static_cast<char>(wire::Security::insecure)));
}

TEST_CASE("any single changed byte gives nothing or a well-formed entry", "[shared]") {
    // The decoder never reads out of bounds whatever a byte is (run under the sanitizers).
    std::string bytes = cache::encode_shared(sample());
    for (std::size_t i = 0; i < bytes.size(); ++i)
        for (int v : {0x00, 0x3f, 0x40, 0xc0, 0xff}) {
            std::string b = bytes;
            b[i] = static_cast<char>(v);
            if (auto e = cache::decode_shared(b))
                CHECK(e->records.size() + e->authority.size() <= 512);
        }
}

TEST_CASE("entries age from when they were written", "[shared]") {
    SharedEntry e = sample();
    CHECK(cache::shared_ttl(e) == 60);  // the SOA's
    REQUIRE(cache::age_shared(e, e.written + 10));
    CHECK(e.records.front().ttl == 290);
    CHECK(e.authority.front().ttl == 50);
    SharedEntry old = sample();
    CHECK_FALSE(cache::age_shared(old, old.written + 60));
    SharedEntry ahead = sample();  // the writer's clock ahead of ours: no time passed
    REQUIRE(cache::age_shared(ahead, ahead.written - 100));
    CHECK(ahead.records.front().ttl == 300);
}

TEST_CASE("keys carry the prefix, the format and the question, case-folded", "[shared]") {
    wire::Question q{N("WWW.Example"), wire::type::AAAA, wire::cls::IN};
    std::string k = cache::shared_key("fleet", q);
    CHECK(k == std::string("fleet:v1:\3www\7example\0\0\x1c\0\1", 9 + 13 + 4));
    wire::Question other{N("www.example"), wire::type::A, wire::cls::IN};
    CHECK(cache::shared_key("fleet", other) != k);
    CHECK(cache::shared_key("other", q) != k);
    CHECK(cache::shared_key(
              "fleet", wire::Question{N("www.example"), wire::type::AAAA, wire::cls::IN}) == k);
}
