// The OpenSSL signature check (dnssec/signature_check) against signatures ldns made
// (test/replay/zone_signer), for every algorithm the signer implements: what ldns signed
// verifies, case and order do not matter (canonical form), a wildcard expansion verifies
// as its wildcard, and any changed byte fails.
#include "dnssec/signature_check.hpp"

#include <catch2/catch.hpp>

#include "dnssec/verify.hpp"
#include "helpers.hpp"
#include "test/replay/zone_signer.hpp"
#include "wire/types.hpp"

using namespace port53;
using namespace port53::wire;
using dnssec::check_signature;
using dnssec::SignatureCheck;
using test::N;

namespace {

constexpr uint32_t kNow = 1'800'000'000;

struct SignedZone {
    std::vector<Record> records;  // the zone with its RRSIGs
    std::vector<Record> keys;

    std::vector<Record> rrset(const char* owner, uint16_t type) const {
        std::vector<Record> out;
        for (const auto& r : records)
            if (r.owner == N(owner) && r.type == type) out.push_back(r);
        return out;
    }
    std::string rrsig(const char* owner, uint16_t type) const {
        for (const auto& s : dnssec::signatures_for(records, N(owner), type)) return s.rdata;
        return {};
    }
    // The check with whichever key signed (the ZSK; the KSK only the DNSKEY set).
    SignatureCheck check(const std::vector<Record>& set, const std::string& sig) const {
        SignatureCheck out = SignatureCheck::invalid;
        for (const auto& k : keys)
            if (auto c = check_signature(set, sig, k.rdata); c != SignatureCheck::invalid) out = c;
        return out;
    }
};

SignedZone signed_zone(uint8_t algorithm) {
    replay::SigningOptions o;
    o.algorithm = algorithm;
    replay::ZoneSigner signer(N("example."), o, kNow);
    std::vector<Record> zone = {
        test::soa("example."),
        test::name_rr("example.", type::NS, "ns.example."),
        test::a("ns.example.", "192.0.2.53"),
        test::rr("example.", type::MX, 300,
                 std::string("\0\x0a", 2) + std::string(N("mail.example.").wire())),
        test::a("www.example.", "192.0.2.1"),
        test::a("www.example.", "192.0.2.2"),
        test::a("*.w.example.", "192.0.2.80")};
    return {signer.sign_zone(zone), signer.dnskeys()};
}

std::string upper(std::string wire_bytes) {
    for (auto& c : wire_bytes)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return wire_bytes;
}

}  // namespace

TEST_CASE("signatures ldns made verify with OpenSSL for every algorithm", "[dnssec]") {
    for (uint8_t alg : {8, 13, 14, 15, 16}) {
        INFO("algorithm " << int{alg});
        SignedZone z = signed_zone(alg);
        auto www = z.rrset("www.example.", type::A);
        std::string sig = z.rrsig("www.example.", type::A);
        REQUIRE(www.size() == 2);
        CHECK(z.check(www, sig) == SignatureCheck::valid);
        CHECK(z.check(z.rrset("example.", type::DNSKEY), z.rrsig("example.", type::DNSKEY)) ==
              SignatureCheck::valid);

        // Canonical form (RFC 4034 §6): order, duplicates, the owner's and rdata names' case.
        std::swap(www[0], www[1]);
        www.push_back(www[0]);
        for (auto& r : www) r.owner = *Name::from_wire(upper(std::string(r.owner.wire())));
        CHECK(z.check(www, sig) == SignatureCheck::valid);
        auto mx = z.rrset("example.", type::MX);
        mx[0].rdata = upper(mx[0].rdata);
        CHECK(z.check(mx, z.rrsig("example.", type::MX)) == SignatureCheck::valid);

        // §3.1.8.1: an expansion of *.w.example is signed as the wildcard, at any depth.
        std::string wsig = z.rrsig("*.w.example.", type::A);
        auto expanded = z.rrset("*.w.example.", type::A);
        expanded[0].owner = N("x.w.example.");
        CHECK(z.check(expanded, wsig) == SignatureCheck::valid);
        expanded[0].owner = N("a.b.w.example.");
        CHECK(z.check(expanded, wsig) == SignatureCheck::valid);
        expanded[0].owner = N("x.example.");  // fewer labels than the RRSIG says: not it
        CHECK(z.check(expanded, wsig) == SignatureCheck::invalid);

        // Any change to what was signed, or to the signature, fails.
        auto changed = z.rrset("www.example.", type::A);
        changed[1].rdata[3] ^= 1;
        CHECK(z.check(changed, sig) == SignatureCheck::invalid);
        changed = z.rrset("www.example.", type::A);
        changed.pop_back();
        CHECK(z.check(changed, sig) == SignatureCheck::invalid);
        changed = z.rrset("www.example.", type::A);
        for (auto& r : changed) r.ttl += 1;  // the TTL signed is the RRSIG's original TTL
        CHECK(z.check(changed, sig) == SignatureCheck::valid);
        std::string forged = sig;
        forged.back() ^= 1;
        CHECK(z.check(z.rrset("www.example.", type::A), forged) == SignatureCheck::invalid);
        std::string late = sig;
        late[8] ^= 1;  // the expiration is signed too
        CHECK(z.check(z.rrset("www.example.", type::A), late) == SignatureCheck::invalid);
        CHECK(z.check(z.rrset("ns.example.", type::A), sig) == SignatureCheck::invalid);
    }
}

TEST_CASE("signature check: broken keys and signatures are invalid, odd types left to ldns",
          "[dnssec]") {
    SignedZone z = signed_zone(13);
    auto www = z.rrset("www.example.", type::A);
    std::string sig = z.rrsig("www.example.", type::A);
    for (const auto& k : z.keys) {
        for (std::size_t cut :
             {std::size_t{0}, std::size_t{4}, std::size_t{20}, k.rdata.size() - 1})
            CHECK(check_signature(www, sig, k.rdata.substr(0, cut)) == SignatureCheck::invalid);
    }
    CHECK(z.check(www, sig.substr(0, sig.size() - 1)) == SignatureCheck::invalid);
    CHECK(z.check(www, sig.substr(0, 17)) == SignatureCheck::invalid);
    CHECK(z.check({}, sig) == SignatureCheck::invalid);
    // NAPTR's rdata names are canonicalised by ldns, not here.
    auto naptr = www;
    for (auto& r : naptr) r.type = 35;
    std::string naptr_sig = sig;
    store16(reinterpret_cast<uint8_t*>(naptr_sig.data()), 35);
    CHECK(z.check(naptr, naptr_sig) == SignatureCheck::not_handled);
}
