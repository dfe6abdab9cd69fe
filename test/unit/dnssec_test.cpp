#include <catch2/catch.hpp>
#include <ctime>

#include "dnssec/denial.hpp"
#include "dnssec/trust_anchors.hpp"
#include "dnssec/verify.hpp"
#include "helpers.hpp"
#include "wire/zone_file.hpp"

// ldns last: its headers must come after the C++ library ones (they break <optional>).
// clang-format off
#include <ldns/ldns.h>
// clang-format on

using namespace port53;
using namespace port53::dnssec;
using namespace port53::wire;
using test::base32hex;
using test::N;

namespace {

Record from_text(const std::string& line) {
    return parse_zone_text(line + "\n", "test").at(0);
}

}  // namespace

TEST_CASE("key tag and DS digest match RFC 4034 §5.4", "[dnssec]") {
    Record key = from_text(
        "dskey.example.com. 86400 IN DNSKEY 256 3 5 "
        "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/"
        "2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2"
        "wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==");
    CHECK(key_tag(key.rdata) == 60485);
    Record ds = from_text(
        "dskey.example.com. 86400 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
    CHECK(ds_matches(N("dskey.example.com."), ds.rdata, key.rdata));
    CHECK(ds_matches(N("DSKEY.Example.COM."), ds.rdata, key.rdata));
    Record wrong = ds;
    wrong.rdata.back() ^= 1;
    CHECK_FALSE(ds_matches(N("dskey.example.com."), wrong.rdata, key.rdata));
}

TEST_CASE("NSEC3 hashes match RFC 5155 Appendix A", "[dnssec]") {
    Limits limits;
    Work work(limits);
    std::string salt("\xaa\xbb\xcc\xdd", 4);
    auto h = [&](const char* name) { return base32hex(*nsec3_hash(N(name), salt, 12, work)); };
    CHECK(h("example.") == "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
    CHECK(h("a.example.") == "35mthgpgcu1qg68fab165klnsnk3dpvl");
    CHECK(h("ns1.example.") == "2t7b4g4vsa5smi47k61mv5bv1a22bojr");
    CHECK(h("*.w.example.") == "r53bq7cc2uvmubfu5ocmm6pers9tk9en");
    CHECK(h("x.w.example.") == "b4um86eghhds6nea196smvmlo4ors995");
}

TEST_CASE("NSEC3 owner hashes decode from base32hex, anything else is no hash", "[dnssec]") {
    std::string hash(20, '\0');
    for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<char>(i * 13 + 200);
    std::string label = base32hex(hash);
    auto nsec3 = [](std::string_view first_label) {
        std::string text = std::string(first_label) + ".example.";
        return Record{N(text.c_str()), type::NSEC3, cls::IN, 60, {}};
    };
    CHECK(nsec3_owner_hash(nsec3(label)) == hash);
    std::string upper = label;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(nsec3_owner_hash(nsec3(upper)) == hash);
    CHECK_FALSE(nsec3_owner_hash(nsec3(label.substr(0, 31))));         // not whole groups
    CHECK_FALSE(nsec3_owner_hash(nsec3(label.substr(0, 30) + "w0")));  // w: not base32hex
    CHECK_FALSE(nsec3_owner_hash(nsec3(label.substr(0, 31) + "=")));
}

TEST_CASE("the hash budget caps NSEC3 work", "[dnssec]") {
    Limits limits;
    limits.max_nsec3_hashes = 2;
    Work work(limits);
    CHECK(nsec3_hash(N("a."), "", 0, work));
    CHECK(nsec3_hash(N("b."), "", 0, work));
    CHECK_FALSE(nsec3_hash(N("c."), "", 0, work));
}

TEST_CASE("canonical order follows RFC 4034 §6.1", "[dnssec]") {
    const char* ordered[] = {"example.",         "a.example.",      "yljkjljk.a.example.",
                             "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
                             "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
    for (std::size_t i = 0; i + 1 < std::size(ordered); ++i) {
        INFO(ordered[i]);
        CHECK(canonical_compare(N(ordered[i]), N(ordered[i + 1])) < 0);
        CHECK(canonical_compare(N(ordered[i + 1]), N(ordered[i])) > 0);
    }
    CHECK(canonical_compare(N("Example."), N("example.")) == 0);
}

TEST_CASE("NSEC proofs for NXDOMAIN and NODATA", "[dnssec]") {
    Limits limits;
    Work work(limits);
    std::vector<Record> nsecs{from_text("example. 300 IN NSEC a.example. NS SOA RRSIG NSEC DNSKEY"),
                              from_text("a.example. 300 IN NSEC d.example. A RRSIG NSEC"),
                              from_text("d.example. 300 IN NSEC example. A TXT RRSIG NSEC")};
    Name zone = N("example.");
    CHECK(prove_nxdomain(N("b.example."), nsecs, zone, limits, work) == Proof::proven);
    CHECK(prove_nxdomain(N("a.example."), nsecs, zone, limits, work) == Proof::failed);
    CHECK(prove_nodata({N("a.example."), type::MX}, nsecs, zone, limits, work) == Proof::proven);
    CHECK(prove_nodata({N("a.example."), type::A}, nsecs, zone, limits, work) == Proof::failed);
    CHECK(prove_wildcard_expansion(N("c.example."), 1, nsecs, zone, limits, work) == Proof::proven);
    // Without the record covering the wildcard, NXDOMAIN is not proven.
    std::vector<Record> partial{nsecs[1]};
    CHECK(prove_nxdomain(N("b.example."), partial, zone, limits, work) == Proof::failed);
}

TEST_CASE("trust anchors: built-in root keys and negative anchors", "[dnssec]") {
    TrustAnchors t = TrustAnchors::builtin();
    REQUIRE(t.anchor_for(N(".")));
    CHECK(t.anchor_for(N("."))->size() == 2);
    CHECK(t.closest_anchor(N("www.example.")) == N("."));
    t.add_negative(N("broken.example."));
    CHECK(t.under_negative_anchor(N("www.broken.example.")));
    CHECK_FALSE(t.under_negative_anchor(N("example.")));
}

namespace {

// A fresh signing key for `zone` (via ldns), its signatures valid for an hour around `now`.
class TestKey {
  public:
    TestKey(ldns_signing_algorithm alg, uint16_t bits, const char* zone, uint32_t now)
        : keys_(ldns_key_list_new()) {
        ldns_key* key = ldns_key_new_frm_algorithm(alg, bits);
        ldns_key_set_pubkey_owner(key, ldns_dname_new_frm_str(zone));
        ldns_key_set_flags(key, 257);
        ldns_rr* tag_source = ldns_key2rr(key);  // the tag depends on the flags just set
        ldns_key_set_keytag(key, ldns_calc_keytag(tag_source));
        ldns_rr_free(tag_source);
        ldns_key_set_inception(key, now - 3600);
        ldns_key_set_expiration(key, now + 3600);
        ldns_key_list_push_key(keys_, key);
        ldns_rr* pub = ldns_key2rr(key);
        dnskey_ = to_record(pub);
        ldns_rr_free(pub);
    }
    ~TestKey() { ldns_key_list_free(keys_); }  // frees the key too
    TestKey(const TestKey&) = delete;
    TestKey& operator=(const TestKey&) = delete;

    const Record& dnskey() const { return dnskey_; }

    std::vector<Record> sign(const std::vector<Record>& records) const {
        std::string text;
        for (const auto& r : records)
            text += r.owner.to_text() + " 300 IN A " + rdata_to_text(r.type, r.rdata) + "\n";
        ldns_rr_list* rrset = ldns_rr_list_new();
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = text.find('\n', start);
            ldns_rr* rr = nullptr;
            ldns_rr_new_frm_str(&rr, text.substr(start, end - start).c_str(), 300, nullptr,
                                nullptr);
            ldns_rr_list_push_rr(rrset, rr);
            start = end + 1;
        }
        ldns_rr_list* sigs = ldns_sign_public(rrset, keys_);
        std::vector<Record> out;
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(sigs); ++i)
            out.push_back(to_record(ldns_rr_list_rr(sigs, i)));
        ldns_rr_list_deep_free(sigs);
        ldns_rr_list_deep_free(rrset);
        return out;
    }

  private:
    static Record to_record(ldns_rr* rr) {
        char* s = ldns_rr2str(rr);
        Record r = parse_zone_text(s, "t").at(0);
        free(s);
        return r;
    }

    ldns_key_list* keys_;
    Record dnskey_;
};

struct Signed {
    Record dnskey;
    std::vector<Record> rrsigs;
};

// Signs `records` with a fresh Ed25519 key for `zone`.
Signed sign(const std::vector<Record>& records, const char* zone, uint32_t now) {
    TestKey key(LDNS_SIGN_ED25519, 256, zone, now);
    return {key.dnskey(), key.sign(records)};
}

}  // namespace

TEST_CASE("signatures verify, forgeries and expired ones do not, repeats skip the crypto",
          "[dnssec]") {
    uint32_t now = static_cast<uint32_t>(time(nullptr));
    std::vector<Record> rrset{test::a("www.example.", "192.0.2.1")};
    Signed s = sign(rrset, "example.", now);
    REQUIRE(s.rrsigs.size() == 1);
    Limits limits;
    SignatureCache seen;
    Work work(limits);
    CHECK(verify_rrset(rrset, s.rrsigs, {s.dnskey}, N("example."), now, limits, work, &seen)
              .is_secure());
    int spent = limits.max_verifications - work.verifications_left;
    CHECK(spent == 1);
    CHECK(verify_rrset(rrset, s.rrsigs, {s.dnskey}, N("example."), now, limits, work, &seen)
              .is_secure());
    CHECK(limits.max_verifications - work.verifications_left == spent);  // cache hit
    std::vector<Record> forged{test::a("www.example.", "192.0.2.66")};
    Verdict bad =
        verify_rrset(forged, s.rrsigs, {s.dnskey}, N("example."), now, limits, work, &seen);
    CHECK(bad.security == Security::bogus);
    CHECK(bad.ede == ede::dnssec_bogus);
    Verdict late = verify_rrset(rrset, s.rrsigs, {s.dnskey}, N("example."), now + 2 * 86400, limits,
                                work, &seen);
    CHECK(late.ede == ede::signature_expired);
    Verdict early = verify_rrset(rrset, s.rrsigs, {s.dnskey}, N("example."), now - 2 * 86400,
                                 limits, work, &seen);
    CHECK(early.ede == ede::signature_not_yet_valid);
    Verdict unsigned_set =
        verify_rrset(rrset, {}, {s.dnskey}, N("example."), now, limits, work, &seen);
    CHECK(unsigned_set.ede == ede::rrsigs_missing);
}

TEST_CASE("the verification budget stops a flood of signature checks (KeyTrap)", "[dnssec]") {
    uint32_t now = static_cast<uint32_t>(time(nullptr));
    std::vector<Record> rrset{test::a("www.example.", "192.0.2.1")};
    Signed s = sign(rrset, "example.", now);
    Limits limits;
    limits.max_verifications = 2;
    Work work(limits);
    // Keys whose tag collides with the signer's (same checksum, other key bytes): each
    // would cost a verification if the budget did not stop it.
    std::vector<Record> keys;
    for (std::size_t p = 4; keys.size() < 10 && p + 2 < s.dnskey.rdata.size(); p += 2) {
        Record k = s.dnskey;
        auto& rd = k.rdata;
        // +1 and -1 on two bytes that both count high in the checksum, without wrapping.
        if (static_cast<uint8_t>(rd[p]) == 0xFF || static_cast<uint8_t>(rd[p + 2]) == 0x00)
            continue;
        rd[p] = static_cast<char>(rd[p] + 1);
        rd[p + 2] = static_cast<char>(rd[p + 2] - 1);
        REQUIRE(key_tag(rd) == key_tag(s.dnskey.rdata));
        keys.push_back(k);
    }
    REQUIRE(keys.size() == 10);
    Verdict v = verify_rrset(rrset, s.rrsigs, keys, N("example."), now, limits, work);
    CHECK(v.security == Security::bogus);
    CHECK(work.verifications_left <= 0);
}

TEST_CASE("every algorithm we validate verifies its signatures and refuses forgeries", "[dnssec]") {
    uint32_t now = static_cast<uint32_t>(time(nullptr));
    std::vector<Record> rrset{test::a("www.example.", "192.0.2.1")};
    std::vector<Record> forged{test::a("www.example.", "192.0.2.66")};
    struct Alg {
        ldns_signing_algorithm alg;
        uint16_t bits;
    };
    for (Alg a : {Alg{LDNS_SIGN_RSASHA1, 1024}, Alg{LDNS_SIGN_RSASHA1_NSEC3, 1024},
                  Alg{LDNS_SIGN_RSASHA256, 2048}, Alg{LDNS_SIGN_RSASHA512, 2048},
                  Alg{LDNS_SIGN_ECDSAP256SHA256, 256}, Alg{LDNS_SIGN_ECDSAP384SHA384, 384},
                  Alg{LDNS_SIGN_ED25519, 256}, Alg{LDNS_SIGN_ED448, 456}}) {
        CAPTURE(static_cast<int>(a.alg));
        TestKey key(a.alg, a.bits, "example.", now);
        auto sigs = key.sign(rrset);
        REQUIRE(sigs.size() == 1);
        Limits limits;
        Work work(limits);
        CHECK(verify_rrset(rrset, sigs, {key.dnskey()}, N("example."), now, limits, work)
                  .is_secure());
        CHECK(
            verify_rrset(forged, sigs, {key.dnskey()}, N("example."), now, limits, work).security ==
            Security::bogus);
        Record cut = sigs[0];
        cut.rdata.pop_back();  // one byte short: no key length matches it
        CHECK(
            verify_rrset(rrset, {cut}, {key.dnskey()}, N("example."), now, limits, work).security ==
            Security::bogus);
    }
}

TEST_CASE("ECDSA signatures verify whatever their r and s look like in DER", "[dnssec]") {
    // RFC 6605 §4 gives r and s as fixed-size numbers; DER wants them minimal, with a zero
    // byte first when the top bit is set. Sign until both shapes have been seen: a top
    // bit comes every other signature, a leading zero byte about one in 128.
    uint32_t now = static_cast<uint32_t>(time(nullptr));
    TestKey key(LDNS_SIGN_ECDSAP256SHA256, 256, "example.", now);
    std::vector<Record> rrset{test::a("www.example.", "192.0.2.1")};
    bool top_bit = false, leading_zero = false;
    int signed_count = 0;
    for (; signed_count < 3000 && !(top_bit && leading_zero); ++signed_count) {
        auto sigs = key.sign(rrset);
        REQUIRE(sigs.size() == 1);
        const std::string& rd = sigs[0].rdata;
        std::string_view sig = std::string_view(rd).substr(rd.size() - 64);
        auto first = [&](std::size_t at) { return static_cast<uint8_t>(sig[at]); };
        top_bit = top_bit || first(0) >= 0x80 || first(32) >= 0x80;
        bool zero = first(0) == 0 || first(32) == 0;
        leading_zero = leading_zero || zero;
        if (!zero && first(0) < 0x80 && first(32) < 0x80 && signed_count > 10) continue;
        Limits limits;
        Work work(limits);
        CHECK(verify_rrset(rrset, sigs, {key.dnskey()}, N("example."), now, limits, work)
                  .is_secure());
    }
    CHECK(top_bit);
    CHECK(leading_zero);
}
