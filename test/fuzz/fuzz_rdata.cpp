// libFuzzer target: the rdata views (wire/rdata.hpp) and the DNSSEC code that reads
// records through them. An authority controls these bytes, and an offset error here lets
// a forged record past the validator. Input layout: one byte picks the record type, the
// rest is its rdata. Besides crashes, it checks that what parse() accepts splits into
// fields that fill the rdata exactly, and that the names it vouched for are valid.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "dnssec/denial.hpp"
#include "dnssec/signature_check.hpp"
#include "dnssec/verify.hpp"
#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace {
using namespace port53;
using namespace port53::wire;

void require(bool ok) {
    if (!ok) std::abort();
}

// Reads every counter, so the sanitizers see each load.
volatile uint64_t g_sink = 0;

void check_views(uint16_t t, std::string_view rd) {
    if (t == type::SOA) {
        if (auto v = SoaView::parse(rd)) {
            require(v->mname().size() + v->rname().size() + 20 == rd.size());
            g_sink = g_sink + v->serial() + v->refresh() + v->retry() + v->expire() + v->minimum();
        }
    } else if (t == type::DNSKEY) {
        if (auto v = DnskeyView::parse(rd)) {
            require(4 + v->public_key().size() == rd.size());
            g_sink = g_sink + v->flags() + v->protocol() + v->algorithm() + v->revoked();
        }
    } else if (t == type::RRSIG) {
        if (auto v = RrsigView::parse(rd)) {
            require(18 + v->signer().size() + v->signature().size() == rd.size());
            auto info = dnssec::parse_rrsig(rd);
            require(info && info->key_tag == v->key_tag() && info->labels == v->labels() &&
                    info->expiration == v->expiration() && info->signer == v->signer());
        } else {
            require(!dnssec::parse_rrsig(rd));
        }
    } else if (t == type::DS) {
        if (auto v = DsView::parse(rd)) {
            require(4 + v->digest().size() == rd.size());
            g_sink = g_sink + v->key_tag() + v->algorithm() + v->digest_type();
        }
    } else if (t == type::NSEC) {
        if (auto v = NsecView::parse(rd))
            require(v->next().size() + v->types().bytes().size() == rd.size());
    } else if (t == type::NSEC3) {
        if (auto v = Nsec3View::parse(rd)) {
            require(6 + v->salt().size() + v->next_hashed_owner().size() +
                        v->types().bytes().size() ==
                    rd.size());
            g_sink = g_sink + v->hash_algorithm() + v->flags() + v->iterations();
        }
    }
}

// The denial proofs over one record of the zone "example." with this rdata.
void check_proofs(uint16_t t, const std::string& rd) {
    if (t != type::NSEC && t != type::NSEC3) return;
    Name zone = *Name::from_text("example.");
    Name owner = t == type::NSEC ? *Name::from_text("a.example.")
                                 : *Name::from_text("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.");
    std::vector<Record> records{Record{owner, t, cls::IN, 300, rd}};
    for (uint16_t q : {type::A, type::NS, type::DS, type::SOA, type::NSEC3PARAM})
        (void)dnssec::nsec_has_type(records[0], q);
    dnssec::Limits limits;
    limits.nsec3_max_iterations = 10;  // keep each run cheap: more is "too expensive"
    dnssec::Work work(limits);
    Name qname = *Name::from_text("b.a.example.");
    (void)dnssec::prove_nxdomain(qname, records, zone, limits, work);
    (void)dnssec::prove_nodata({qname, type::A}, records, zone, limits, work);
    (void)dnssec::prove_nodata({owner, type::DS}, records, zone, limits, work);
    (void)dnssec::prove_insecure_delegation(owner, records, zone, limits, work);
    (void)dnssec::prove_wildcard_expansion(qname, 1, records, zone, limits, work);
}

// An RRSIG rdata over `covered` by "example." with algorithm `alg` and a signature of
// `sig_len` bytes (whatever they say).
std::string rrsig_for(uint16_t covered, uint8_t alg, std::size_t sig_len) {
    std::string rd(18, '\0');
    auto* p = reinterpret_cast<uint8_t*>(rd.data());
    store16(p, covered);
    p[2] = alg;
    p[3] = 1;
    store32(p + 8, 2'000'000'000);
    rd += Name::from_text("example.")->wire();
    rd += std::string(sig_len, '\x5a');
    return rd;
}

// The OpenSSL signature check (dnssec/signature_check) with these bytes as the key, as the
// signature, and as the rdata it canonicalises (MX and SOA have names to lower-case).
void check_signature_inputs(uint16_t t, const std::string& rd) {
    Name owner = *Name::from_text("www.example.");
    std::vector<Record> a{Record{owner, type::A, cls::IN, 300, std::string(4, '\1')}};
    if (t == type::DNSKEY && rd.size() >= 4) {
        for (std::size_t len : {64, 96, 256})
            (void)dnssec::check_signature(a, rrsig_for(type::A, static_cast<uint8_t>(rd[3]), len),
                                          rd);
    } else if (t == type::RRSIG) {
        std::string key("\x01\x00\x03\x0f", 4);  // an Ed25519 zone key
        key += std::string(32, '\x11');
        (void)dnssec::check_signature(a, rd, key);
    }
    for (uint16_t as : {t, type::MX}) {
        std::vector<Record> set{Record{owner, as, cls::IN, 300, rd}};
        (void)dnssec::signed_data(set, rrsig_for(as, 13, 64));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static constexpr uint16_t kTypes[] = {type::SOA, type::DNSKEY, type::RRSIG,
                                          type::DS,  type::NSEC,   type::NSEC3};
    uint16_t t = kTypes[data[0] % std::size(kTypes)];
    std::string rd(reinterpret_cast<const char*>(data + 1), size - 1);
    check_views(t, rd);
    if (t == type::DNSKEY || t == type::DS)
        (void)dnssec::ds_matches(*Name::from_text("example."), rd, rd);
    check_proofs(t, rd);
    check_signature_inputs(t, rd);
    return 0;
}
