// Secondary zones: TSIG (RFC 8945) against messages signed by another implementation
// (dnspython), serial arithmetic (RFC 1982), IXFR reading and application (RFC 1995), and the
// [[secondary]] / [[tsig_key]] configuration; the copy answered from disk until its expire,
// and NOTIFY accepted or refused.
#include <arpa/inet.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "base/clock.hpp"
#include "conf/config.hpp"
#include "secondary/secondaries.hpp"
#include "secondary/tsig.hpp"
#include "secondary/zone_copy.hpp"
#include "wire/builder.hpp"
#include "wire/types.hpp"
#include "wire/zone_file.hpp"

using namespace port53;
using namespace port53::secondary;

namespace {

std::vector<uint8_t> from_hex(std::string_view hex) {
    std::vector<uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

TsigKey key(const char* name, TsigAlgorithm alg) {
    return TsigKey{*wire::Name::from_text(name), alg,
                   *decode_base64("c2VjcmV0LWtleS1mb3ItdGVzdHM=")};
}

constexpr uint64_t kSigned = 1'700'000'000;  // when dnspython signed the vectors below

// dnspython 2.3: make_query('example.', 'SOA'), id 0x1234, flags 0, use_tsig(xfr-key.,
// hmac-sha256, fudge 300) at time 1700000000.
const char* const kSha256Query =
    "123400000001000000000001076578616d706c650000060001077866722d6b65790000fa00ff00000000003d0b"
    "686d61632d7368613235360000006553f100012c002035e67ac4c8f7108113ec6911b791bb5d048dad5c7963fe"
    "bd3ac9da3535e3487a123400000000";
// The same for corp.example. with k512. (hmac-sha512), id 0xbeef.
const char* const kSha512Query =
    "beef0000000100000000000104636f7270076578616d706c650000060001046b3531320000fa00ff0000000000"
    "5d0b686d61632d7368613531320000006553f100012c0040be87e359672f9e71bb11a84e0c7d077d1c0ad4657d"
    "2386f26f2c111f0cbb25cdbb4f04809c331bc9e288872c89f8a9134e03354bbd93fe7757ddc3386cca837bbeef"
    "00000000";

std::vector<uint8_t> soa_query(const char* zone, uint16_t id) {
    wire::MessageBuilder b;
    b.header(id, 0);
    b.question(*wire::Name::from_text(zone), wire::type::SOA, wire::cls::IN);
    return b.take();
}

std::vector<wire::Record> records(const std::string& text) {
    return wire::parse_zone_text(text, "test");
}

}  // namespace

TEST_CASE("TSIG verifies messages signed by dnspython (HMAC-SHA256 and -SHA512)") {
    TsigKey k256 = key("xfr-key.", TsigAlgorithm::hmac_sha256);
    auto msg = from_hex(kSha256Query);
    CHECK(TsigVerifier(k256, {}, kSigned).next(msg) == TsigCheck::ok);
    TsigKey k512 = key("k512.", TsigAlgorithm::hmac_sha512);
    CHECK(TsigVerifier(k512, {}, kSigned + 299).next(from_hex(kSha512Query)) == TsigCheck::ok);
    // Our own signature over the same message and time is byte for byte dnspython's.
    auto ours = soa_query("example.", 0x1234);
    tsig_sign(ours, k256, kSigned);
    CHECK(ours == msg);

    SECTION("a changed message, another key or a stale time is refused") {
        auto changed = msg;
        changed[13] = 'E';  // the question's first letter: the MAC covers exact bytes
        CHECK(TsigVerifier(k256, {}, kSigned).next(changed) == TsigCheck::bad_sig);
        TsigKey other = k256;
        other.secret = "another secret";
        CHECK(TsigVerifier(other, {}, kSigned).next(msg) == TsigCheck::bad_sig);
        CHECK(TsigVerifier(k512, {}, kSigned).next(msg) == TsigCheck::bad_key);
        CHECK(TsigVerifier(k256, {}, kSigned + 301).next(msg) == TsigCheck::bad_time);
        CHECK(TsigVerifier(k256, {}, kSigned).next(soa_query("example.", 1)) ==
              TsigCheck::unsigned_message);
    }
}

TEST_CASE("TSIG chains the messages of a transfer, unsigned ones in between (RFC 8945 §5.3.1)") {
    TsigKey k = key("xfr-key.", TsigAlgorithm::hmac_sha512);
    auto query = soa_query("example.", 7);
    std::string request_mac = tsig_sign(query, k, kSigned);
    // A primary signs its first answer with our MAC, the next with the MAC before it over
    // the unsigned message between and the timers only. Built here as RFC 8945 says.
    auto first = soa_query("example.", 7);
    first[2] |= 0x80;
    std::string mac1 = tsig_sign(first, k, kSigned, request_mac);
    TsigVerifier v(k, request_mac, kSigned);
    REQUIRE(v.next(first) == TsigCheck::ok);
    CHECK(v.last_signed());
    auto unsigned_middle = first;
    unsigned_middle.resize(find_tsig(first)->start);
    wire::store16(&unsigned_middle[10], 0);
    CHECK(v.next(unsigned_middle) == TsigCheck::ok);
    CHECK_FALSE(v.last_signed());
    // The next signed message chains to mac1 over the unsigned one and the timers only.
    auto later = unsigned_middle;
    std::string between(unsigned_middle.begin(), unsigned_middle.end());
    auto forged = later;
    tsig_sign_next(later, k, kSigned, mac1, between);
    CHECK(v.next(later) == TsigCheck::ok);
    CHECK(v.last_signed());

    SECTION("a later message signed as a first one, or skipping the unsigned one, is refused") {
        TsigVerifier again(k, request_mac, kSigned);
        REQUIRE(again.next(first) == TsigCheck::ok);
        REQUIRE(again.next(unsigned_middle) == TsigCheck::ok);
        tsig_sign(forged, k, kSigned, mac1);
        CHECK(again.next(forged) == TsigCheck::bad_sig);
        TsigVerifier skipped(k, request_mac, kSigned);
        REQUIRE(skipped.next(first) == TsigCheck::ok);
        CHECK(skipped.next(later) == TsigCheck::bad_sig);
    }
}

TEST_CASE("base64 secrets decode, with padding and whitespace") {
    CHECK(decode_base64("c2VjcmV0LWtleS1mb3ItdGVzdHM=") == "secret-key-for-tests");
    CHECK(decode_base64("YWJj\nZA==") == "abcd");
    CHECK_FALSE(decode_base64("not base64!"));
}

TEST_CASE("serial numbers compare by RFC 1982 arithmetic") {
    CHECK(serial_greater(2, 1));
    CHECK_FALSE(serial_greater(1, 2));
    CHECK_FALSE(serial_greater(5, 5));
    CHECK(serial_greater(1, 0xFFFFFFF0u));  // wrapped past 2^32
    CHECK_FALSE(serial_greater(0xFFFFFFF0u, 1));
    CHECK_FALSE(serial_greater(0x80000000u, 0));  // 2^31 apart: undefined, not greater
}

TEST_CASE("an IXFR response is read step by step and applied to the copy") {
    auto zone = records(
        "example. 300 IN SOA ns.example. h.example. 1 60 60 600 60\n"
        "example. 300 IN NS ns.example.\nns.example. 300 IN A 192.0.2.1\n"
        "old.example. 300 IN A 192.0.2.2\n");
    auto ixfr = records(
        "example. 300 IN SOA ns.example. h.example. 3 60 60 600 60\n"
        "example. 300 IN SOA ns.example. h.example. 1 60 60 600 60\n"
        "old.example. 300 IN A 192.0.2.2\n"
        "example. 300 IN SOA ns.example. h.example. 2 60 60 600 60\n"
        "new.example. 300 IN A 192.0.2.3\n"
        "example. 300 IN SOA ns.example. h.example. 2 60 60 600 60\n"
        "example. 300 IN SOA ns.example. h.example. 3 60 60 600 60\n"
        "new.example. 300 IN AAAA 2001:db8::3\n"
        "example. 300 IN SOA ns.example. h.example. 3 60 60 600 60\n");
    TransferStream s(*wire::Name::from_text("example."), true);
    for (std::size_t i = 0; i < ixfr.size(); ++i) {
        REQUIRE(s.add(ixfr[i]));
        // (After the first record alone it would be complete: a lone SOA, "up to date".)
        if (i > 0) CHECK(s.complete_after_message() == (i + 1 == ixfr.size()));
    }
    REQUIRE(s.form() == TransferStream::Form::incremental);
    CHECK(s.serial() == 3);
    auto diffs = s.take_diffs();
    REQUIRE(diffs.size() == 2);
    CHECK(diffs[0].from == 1);
    CHECK(diffs[0].to == 2);
    auto after = apply_diffs(zone, diffs);
    REQUIRE(after);
    CHECK(soa_fields(*zone_soa(*after))->serial == 3);
    CHECK(after->front().type == wire::type::SOA);
    auto has = [&](const char* owner, uint16_t type) {
        return std::any_of(after->begin(), after->end(), [&](const wire::Record& r) {
            return r.owner == *wire::Name::from_text(owner) && r.type == type;
        });
    };
    CHECK_FALSE(has("old.example.", wire::type::A));
    CHECK(has("new.example.", wire::type::A));
    CHECK(has("new.example.", wire::type::AAAA));
    CHECK(std::count_if(after->begin(), after->end(),
                        [](const wire::Record& r) { return r.type == wire::type::SOA; }) == 1);

    SECTION("differences from another serial, or deleting what is not there, do not apply") {
        auto from_two = diffs;
        from_two.erase(from_two.begin());
        CHECK_FALSE(apply_diffs(zone, from_two));
        auto missing = diffs;
        missing[0].deleted.push_back(records("gone.example. 300 IN A 192.0.2.9\n")[0]);
        CHECK_FALSE(apply_diffs(zone, missing));
    }
}

TEST_CASE("a full transfer ends at its second SOA; a lone SOA is complete") {
    auto axfr = records(
        "example. 300 IN SOA ns.example. h.example. 5 60 60 600 60\n"
        "www.example. 300 IN A 192.0.2.1\n"
        "example. 300 IN SOA ns.example. h.example. 5 60 60 600 60\n");
    TransferStream s(*wire::Name::from_text("example."), true);
    REQUIRE(s.add(axfr[0]));
    CHECK(s.complete_after_message());  // alone it would be "up to date"
    REQUIRE(s.add(axfr[1]));
    CHECK_FALSE(s.complete_after_message());
    REQUIRE(s.add(axfr[2]));
    CHECK(s.complete_after_message());
    CHECK(s.form() == TransferStream::Form::full);
    CHECK(s.take_zone().size() == 2);
    CHECK_FALSE(s.add(axfr[1]));  // nothing after the closing SOA
    TransferStream other(*wire::Name::from_text("other."), false);
    CHECK_FALSE(other.add(axfr[0]));  // the SOA of another zone
}

TEST_CASE("records are written in zone-file form and read back the same") {
    auto rs = records(
        "example. 300 IN SOA ns.example. h.example. 5 60 60 600 60\n"
        "example. 300 IN MX 10 mail.example.\nt.example. 60 IN TXT \"a b\" \"c\"\n");
    std::string text;
    for (const auto& r : rs) text += wire::record_to_text(r);
    CHECK(wire::parse_zone_text(text, "again") == rs);
}

TEST_CASE("[[secondary]] and [[tsig_key]] are read and checked") {
    const char* good = R"(
[[tsig_key]]
name = "xfr-key"
algorithm = "hmac-sha512"
secret = "c2VjcmV0LWtleS1mb3ItdGVzdHM="

[[secondary]]
zone = "corp.example"
primaries = ["127.0.0.1@5300", "::1"]
tsig_key = "xfr-key."
file = "/tmp/corp.zone"
min_refresh = 1
)";
    auto cfg = conf::parse_config(good, "t.toml");
    REQUIRE(cfg.secondaries.size() == 1);
    CHECK(cfg.secondaries[0].zone == *wire::Name::from_text("corp.example."));
    REQUIRE(cfg.secondaries[0].primaries.size() == 2);
    CHECK(cfg.secondaries[0].primaries[0].addr.port == 5300);
    CHECK(cfg.secondaries[0].min_refresh == 1);
    CHECK(cfg.secondaries[0].max_refresh == 86'400);
    auto keys = build_tsig_keys(cfg.tsig_keys);
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].algorithm == TsigAlgorithm::hmac_sha512);
    CHECK(keys[0].secret == "secret-key-for-tests");

    std::string unknown_key = good;
    unknown_key.replace(unknown_key.find("tsig_key = \"xfr-key.\""), 21, "tsig_key = \"nokey\"");
    CHECK_THROWS_WITH(conf::parse_config(unknown_key, "t.toml"),
                      Catch::Contains("no [[tsig_key]] named nokey"));
    std::string bad_alg = good;
    bad_alg.replace(bad_alg.find("hmac-sha512"), 11, "hmac-md5");
    CHECK_THROWS_WITH(conf::parse_config(bad_alg, "t.toml"), Catch::Contains("hmac-sha256 or"));
    CHECK_THROWS_WITH(
        conf::parse_config("[[secondary]]\nzone = \"a.\"\nprimaries = [\"127.0.0.1\"]\n", "t.toml"),
        Catch::Contains("needs zone and primaries and file"));
}

namespace {

// The source's answer to `name`/`type`, run to completion.
std::optional<engine::Step> ask_source(engine::AnswerSource& src, const char* name, uint16_t type) {
    boost::asio::io_context io;
    std::optional<engine::Step> out;
    engine::Budget budget;
    engine::SourceQuestion q{wire::Question{*wire::Name::from_text(name), type, wire::cls::IN}};
    boost::asio::co_spawn(io, src.answer(q, budget),
                          [&](std::exception_ptr, std::optional<engine::Step> s) { out = s; });
    io.run();
    return out;
}

struct CopyOnDisk {
    std::string path = "/tmp/p53-secondary-test-" + std::to_string(::getpid()) + ".zone";
    CopyOnDisk() {
        std::ofstream(path) << "corp.example. 300 IN SOA ns.corp.example. h.corp.example. 9 60 60 "
                               "100 60\nwww.corp.example. 300 IN A 192.0.2.80\n";
    }
    ~CopyOnDisk() { std::remove(path.c_str()); }
};

SecondarySettings corp(const std::string& file) {
    SecondarySettings s;
    s.zone = *wire::Name::from_text("corp.example.");
    s.primaries = {engine::RouteServer{*upstream::ServerAddr::parse("127.53.0.51", 53), ""}};
    s.tsig_key = "xfr-key.";
    s.file = file;
    return s;
}

std::vector<uint8_t> notify_query(uint16_t id) {
    wire::MessageBuilder b;
    b.header(id, 4 << 11);  // opcode NOTIFY
    b.question(*wire::Name::from_text("corp.example."), wire::type::SOA, wire::cls::IN);
    return b.take();
}

sockaddr_in from(const char* ip) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &sa.sin_addr);
    return sa;
}

}  // namespace

TEST_CASE("a copy on disk is answered at once, authoritatively, until its SOA expire") {
    CopyOnDisk file;
    base::ManualClock clock;
    Secondaries zones({corp(file.path)}, {key("xfr-key.", TsigAlgorithm::hmac_sha256)}, clock);
    auto source = zones.make_source();
    CHECK(ask_source(*source, "www.corp.example.", wire::type::A)->kind ==
          engine::Step::Kind::servfail);  // no copy loaded yet: nothing to answer from
    zones.load_copies();
    auto www = ask_source(*source, "www.corp.example.", wire::type::A);
    REQUIRE(www);
    CHECK(www->kind == engine::Step::Kind::answer);
    CHECK(www->authoritative);
    CHECK(www->records.at(0).ttl <= 100);  // no longer than the copy may be served
    CHECK(ask_source(*source, "nope.corp.example.", wire::type::A)->kind ==
          engine::Step::Kind::nxdomain);
    CHECK_FALSE(ask_source(*source, "www.example.", wire::type::A));  // not ours
    clock.advance(101);  // past the file's mtime + EXPIRE (100)
    CHECK(ask_source(*source, "www.corp.example.", wire::type::A)->kind ==
          engine::Step::Kind::servfail);
}

TEST_CASE("NOTIFY is accepted from a primary with the zone's key, and answered signed") {
    CopyOnDisk file;
    base::ManualClock clock;
    TsigKey k = key("xfr-key.", TsigAlgorithm::hmac_sha256);
    Secondaries zones({corp(file.path)}, {k}, clock);
    std::vector<uint8_t> out(512);
    auto primary = from("127.53.0.51");
    auto* sa = reinterpret_cast<const sockaddr*>(&primary);

    auto signed_query = notify_query(1);
    std::string mac = tsig_sign(signed_query, k, clock.unix_now());
    std::size_t n = zones.notify(signed_query, sa, out);
    REQUIRE(n > 0);
    std::span<const uint8_t> reply(out.data(), n);
    CHECK((wire::load16(&reply[2]) & 0xF) == wire::rcode::NOERROR);
    CHECK(wire::load16(&reply[2]) & wire::flag::AA);
    CHECK(TsigVerifier(k, mac, clock.unix_now()).next(reply) == TsigCheck::ok);
    CHECK(zones.counters(*wire::Name::from_text("corp.example."))->notify_accepted == 1);

    auto rcode_of = [&](std::span<const uint8_t> q, const sockaddr* who) {
        std::size_t len = zones.notify(q, who, out);
        REQUIRE(len > 0);
        return wire::load16(&out[2]) & 0xF;
    };
    CHECK(rcode_of(notify_query(2), sa) == 9);  // unsigned: NOTAUTH
    auto stranger = from("127.53.0.59");
    CHECK(rcode_of(signed_query, reinterpret_cast<const sockaddr*>(&stranger)) ==
          wire::rcode::REFUSED);
    CHECK(zones.counters(*wire::Name::from_text("corp.example."))->notify_refused == 2);
    CHECK(zones.counters(*wire::Name::from_text("corp.example."))->tsig_failures == 1);
}
