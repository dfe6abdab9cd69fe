// The rdata views against the RFCs' own examples, and every truncation and malformation of
// them: an offset error here would let a forged record past the validator.
#include "wire/rdata.hpp"

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "wire/zone_file.hpp"

using namespace port53;
using namespace port53::wire;
using test::base32hex;
using test::N;

namespace {

std::string rdata_of(const std::string& line) {
    return parse_zone_text(line + "\n", "test").at(0).rdata;
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out.push_back(static_cast<char>(v));
    return out;
}

// Every strict prefix of `rdata` shorter than `valid_from` bytes is rejected; the longer
// ones, if accepted, are read without leaving them (the accessors return views inside).
template <typename View>
void check_prefixes(const std::string& rdata, std::size_t valid_from) {
    for (std::size_t n = 0; n < rdata.size(); ++n) {
        INFO("prefix of " << n << " bytes");
        std::string_view prefix(rdata.data(), n);
        auto v = View::parse(prefix);
        if (n < valid_from) {
            CHECK_FALSE(v);
        } else if (v) {
            CHECK(v->rdata().size() == n);
        }
    }
}

// Whether View accepts `rdata` (a string the caller holds: a view of a temporary would dangle).
template <typename View>
bool accepts(const std::string& rdata) {
    return View::parse(rdata).has_value();
}

}  // namespace

TEST_CASE("uncompressed names in rdata: lengths and the malformed", "[rdata]") {
    CHECK(uncompressed_name_length(bytes({0})) == 1u);
    CHECK(uncompressed_name_length(std::string(N("www.example.").wire()) + "tail") == 13u);
    CHECK_FALSE(uncompressed_name_length(""));
    CHECK_FALSE(uncompressed_name_length(bytes({3, 'w', 'w'})));       // label runs past the end
    CHECK_FALSE(uncompressed_name_length(bytes({3, 'w', 'w', 'w'})));  // no root label
    CHECK_FALSE(uncompressed_name_length(bytes({0xC0, 0x0C})));        // compression pointer
    CHECK_FALSE(uncompressed_name_length(bytes({1, 'a', 0xC0, 0})));
    CHECK_FALSE(uncompressed_name_length(std::string(1, 64) + std::string(64, 'a') + '\0'));
    // 255 bytes is the longest name (RFC 1035 §3.1); 256 is too long.
    std::string longest;
    for (int i = 0; i < 4; ++i) longest += std::string(1, 62) + std::string(62, 'a');
    CHECK(uncompressed_name_length(longest + '\0') == 253u);
    CHECK(uncompressed_name_length(longest + bytes({1, 'b', 0})) == 255u);
    CHECK_FALSE(uncompressed_name_length(longest + bytes({2, 'b', 'c', 0})));
}

TEST_CASE("SOA view reads the names and the five counters", "[rdata]") {
    std::string rd = rdata_of(
        "example. 3600 IN SOA ns.example. admin.example. 2024010101 7200 3600 1209600 300");
    auto v = SoaView::parse(rd);
    REQUIRE(v);
    CHECK(v->mname() == N("ns.example."));
    CHECK(v->rname() == N("admin.example."));
    CHECK(v->serial() == 2024010101u);
    CHECK(v->refresh() == 7200u);
    CHECK(v->retry() == 3600u);
    CHECK(v->expire() == 1209600u);
    CHECK(v->minimum() == 300u);
    check_prefixes<SoaView>(rd, rd.size());
    CHECK_FALSE(accepts<SoaView>(rd + '\0'));  // the counters are the last field
    std::string compressed = bytes({0xC0, 0x0C}) + rd.substr(N("ns.example.").size());
    CHECK_FALSE(accepts<SoaView>(compressed));
}

TEST_CASE("DNSKEY view reads flags, protocol, algorithm and key (RFC 4034 §2)", "[rdata]") {
    std::string rd = rdata_of(
        "dskey.example.com. 86400 IN DNSKEY 256 3 5 "
        "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/"
        "2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2"
        "wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==");
    auto v = DnskeyView::parse(rd);
    REQUIRE(v);
    CHECK(v->flags() == dnskey_flag::ZONE);
    CHECK(v->zone_key());
    CHECK_FALSE(v->secure_entry_point());
    CHECK_FALSE(v->revoked());
    CHECK(v->protocol() == kDnskeyProtocol);
    CHECK(v->algorithm() == algorithm::RSASHA1);
    CHECK(v->public_key() == std::string_view(rd).substr(4));
    CHECK(v->public_key().size() == 130);

    rd[1] = static_cast<char>(dnskey_flag::SEP | dnskey_flag::REVOKE);  // 385: a revoked KSK
    v = DnskeyView::parse(rd);
    REQUIRE(v);
    CHECK(v->flags() == 385);
    CHECK(v->secure_entry_point());
    CHECK(v->revoked());

    check_prefixes<DnskeyView>(rd, 4);
    CHECK(DnskeyView::parse(std::string_view(rd).substr(0, 4))->public_key().empty());
}

TEST_CASE("RRSIG view reads every field of RFC 4034 §3.3's example", "[rdata]") {
    std::string rd = rdata_of(
        "host.example.com. 86400 IN RRSIG A 5 3 86400 20030322173103 20030220173103 2642 "
        "example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o"
        "B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+"
        "6pBzeDQfsS3Ap3o=");
    auto v = RrsigView::parse(rd);
    REQUIRE(v);
    CHECK(v->type_covered() == type::A);
    CHECK(v->algorithm() == algorithm::RSASHA1);
    CHECK(v->labels() == 3);
    CHECK(v->original_ttl() == 86400u);
    CHECK(v->expiration() == 1048354263u);  // 2003-03-22 17:31:03 UTC
    CHECK(v->inception() == 1045762263u);   // 2003-02-20 17:31:03 UTC
    CHECK(v->key_tag() == 2642);
    CHECK(v->signer() == N("example.com."));
    CHECK(v->signer_wire() == N("example.com.").wire());
    std::size_t signature_at = 18 + N("example.com.").size();
    CHECK(v->signature() == std::string_view(rd).substr(signature_at));
    CHECK(v->signature().size() == 128);

    check_prefixes<RrsigView>(rd, signature_at);
    CHECK(RrsigView::parse(std::string_view(rd).substr(0, signature_at))->signature().empty());
    // The signer must be a whole, uncompressed name.
    CHECK_FALSE(accepts<RrsigView>(rd.substr(0, 18) + bytes({0xC0, 0})));
    CHECK_FALSE(accepts<RrsigView>(rd.substr(0, 18) + bytes({0x41, 'a', 0})));
}

TEST_CASE("DS view reads key tag, algorithm, digest type and digest (RFC 4034 §5.4)", "[rdata]") {
    std::string rd = rdata_of(
        "dskey.example.com. 86400 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
    auto v = DsView::parse(rd);
    REQUIRE(v);
    CHECK(v->key_tag() == 60485);
    CHECK(v->algorithm() == algorithm::RSASHA1);
    CHECK(v->digest_type() == digest_type::SHA1);
    CHECK(v->digest() == bytes({0x2B, 0xB1, 0x83, 0xAF, 0x5F, 0x22, 0x58, 0x81, 0x79, 0xA5,
                                0x3B, 0x0A, 0x98, 0x63, 0x1F, 0xAD, 0x1A, 0x29, 0x21, 0x18}));
    check_prefixes<DsView>(rd, 4);
    CHECK(DsView::parse(std::string_view(rd).substr(0, 4))->digest().empty());
}

TEST_CASE("NSEC view reads the next name and the type bitmap (RFC 4034 §4.3)", "[rdata]") {
    std::string rd =
        rdata_of("alfa.example.com. 86400 IN NSEC host.example.com. A MX RRSIG NSEC TYPE1234");
    auto v = NsecView::parse(rd);
    REQUIRE(v);
    CHECK(v->next() == N("host.example.com."));
    CHECK(v->next_wire() == N("host.example.com.").wire());
    TypeBitmap types = v->types();
    for (uint16_t t : {type::A, type::MX, type::RRSIG, type::NSEC, uint16_t{1234}}) {
        INFO("type " << t);
        CHECK(types.has(t));
    }
    for (uint16_t t : {uint16_t{0}, type::NS, type::AAAA, type::DS, uint16_t{1233}, uint16_t{1235},
                       uint16_t{65535}}) {
        INFO("type " << t);
        CHECK_FALSE(types.has(t));
    }
    std::size_t bitmap_at = N("host.example.com.").size();
    check_prefixes<NsecView>(rd, bitmap_at);
    CHECK(NsecView::parse(std::string_view(rd).substr(0, bitmap_at))->types().bytes().empty());
    CHECK_FALSE(accepts<NsecView>(bytes({0xC0, 0x0C}) + rd.substr(bitmap_at)));
}

TEST_CASE("a type bitmap cut short lists nothing from the cut block on", "[rdata]") {
    auto has = [](const std::string& bitmap, uint16_t t) { return TypeBitmap(bitmap).has(t); };
    // Window 0 with A (bit 1), then window 4 claiming 32 bytes but holding 1.
    std::string cut = bytes({0, 1, 0x40, 4, 32, 0xFF});
    CHECK(has(cut, type::A));
    CHECK_FALSE(has(cut, 1024));
    CHECK_FALSE(has(bytes({4, 32, 0xFF, 0, 1, 0x40}), type::A));  // the cut block comes first
    CHECK_FALSE(has(bytes({0}), 0));                  // a window number without a length
    CHECK_FALSE(has(bytes({0, 1}), 1));               // a length without its bytes
    CHECK_FALSE(has(bytes({0, 0}), 0));               // an empty block
    CHECK_FALSE(has(bytes({0, 1, 0x40}), type::MX));  // past the block's bytes
    // A repeated window: the first block speaks for it.
    CHECK(has(bytes({0, 1, 0x40, 0, 1, 0x20}), type::A));
    CHECK_FALSE(has(bytes({0, 1, 0x40, 0, 1, 0x20}), type::NS));
    CHECK(has(bytes({0, 1, 0x40, 1, 1, 0x80}), 256));  // the next window
}

TEST_CASE("NSEC3 view reads RFC 5155 Appendix A's records", "[rdata]") {
    std::string rd = rdata_of(
        "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 3600 IN NSEC3 1 1 12 aabbccdd "
        "2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG");
    auto v = Nsec3View::parse(rd);
    REQUIRE(v);
    CHECK(v->hash_algorithm() == nsec3_hash_algorithm::SHA1);
    CHECK(v->flags() == nsec3_flag::OPT_OUT);
    CHECK(v->opt_out());
    CHECK(v->iterations() == 12);
    CHECK(v->salt() == bytes({0xAA, 0xBB, 0xCC, 0xDD}));
    CHECK(base32hex(v->next_hashed_owner()) == "2t7b4g4vsa5smi47k61mv5bv1a22bojr");
    for (uint16_t t : {type::MX, type::DNSKEY, type::NS, type::SOA, type::NSEC3PARAM, type::RRSIG})
        CHECK(v->types().has(t));
    CHECK_FALSE(v->types().has(type::A));
    CHECK_FALSE(v->types().has(type::DS));

    std::size_t bitmap_at = 5 + 4 + 1 + 20;
    CHECK(v->types().bytes() == std::string_view(rd).substr(bitmap_at));
    check_prefixes<Nsec3View>(rd, bitmap_at);
    CHECK(Nsec3View::parse(std::string_view(rd).substr(0, bitmap_at))->types().bytes().empty());

    std::string unsalted = rdata_of(
        "b4um86eghhds6nea196smvmlo4ors995.example. 3600 IN NSEC3 1 0 0 - "
        "gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG");
    v = Nsec3View::parse(unsalted);
    REQUIRE(v);
    CHECK_FALSE(v->opt_out());
    CHECK(v->iterations() == 0);
    CHECK(v->salt().empty());
    CHECK(base32hex(v->next_hashed_owner()) == "gjeqe526plbf1g8mklp59enfd789njgi");
    CHECK(v->types().has(type::MX));
}

TEST_CASE("NSEC3 lengths that point past the rdata are rejected", "[rdata]") {
    // hash alg, flags, iterations, salt length, salt, hash length, hash
    CHECK(accepts<Nsec3View>(bytes({1, 0, 0, 0, 0, 0})));                 // empty salt and hash
    CHECK_FALSE(accepts<Nsec3View>(bytes({1, 0, 0, 0, 0})));              // no hash length
    CHECK_FALSE(accepts<Nsec3View>(bytes({1, 0, 0, 0, 2, 0xAA, 0xBB})));  // salt eats the length
    CHECK_FALSE(accepts<Nsec3View>(bytes({1, 0, 0, 0, 255, 0xAA, 0})));   // salt past the end
    CHECK_FALSE(accepts<Nsec3View>(bytes({1, 0, 0, 0, 0, 2, 0xAA})));     // hash past the end
    std::string rd = bytes({1, 0, 0, 7, 1, 0xAA, 1, 0xBB, 0, 1, 0x40});
    auto v = Nsec3View::parse(rd);
    REQUIRE(v);
    CHECK(v->iterations() == 7);
    CHECK(v->salt() == bytes({0xAA}));
    CHECK(v->next_hashed_owner() == bytes({0xBB}));
    CHECK(v->types().has(type::A));
}
