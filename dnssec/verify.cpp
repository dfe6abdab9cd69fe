#include "dnssec/verify.hpp"

#include <ldns/ldns.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "dnssec/signature_check.hpp"
#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {

struct RrFree {
    void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct ListFree {
    void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
using LdnsRr = std::unique_ptr<ldns_rr, RrFree>;
using LdnsList = std::unique_ptr<ldns_rr_list, ListFree>;

LdnsRr to_ldns(const Record& r) {
    std::string w(r.owner.wire());
    uint8_t fixed[10];
    store16(fixed, r.type);
    store16(fixed + 2, r.cls);
    store32(fixed + 4, r.ttl);
    store16(fixed + 8, static_cast<uint16_t>(r.rdata.size()));
    w.append(reinterpret_cast<char*>(fixed), sizeof fixed);
    w += r.rdata;
    ldns_rr* out = nullptr;
    size_t pos = 0;
    if (ldns_wire2rr(&out, reinterpret_cast<const uint8_t*>(w.data()), w.size(), &pos,
                     LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
        return nullptr;
    return LdnsRr(out);
}

LdnsList to_ldns(const std::vector<Record>& rrs) {
    LdnsList list(ldns_rr_list_new());
    for (const auto& r : rrs)
        if (LdnsRr rr = to_ldns(r)) ldns_rr_list_push_rr(list.get(), rr.release());
    return list;
}

// RFC 1982 serial arithmetic on 32-bit timestamps: a - b as a signed distance.
int64_t serial_diff(uint32_t a, uint32_t b) {
    return static_cast<int32_t>(a - b);
}

// The digest a DS of `type` uses, or nullptr for a type we do not support.
const EVP_MD* ds_digest(uint8_t type) {
    switch (type) {
        case digest_type::SHA1:
            return EVP_sha1();
        case digest_type::SHA256:
            return EVP_sha256();
        case digest_type::SHA384:
            return EVP_sha384();
        default:
            return nullptr;
    }
}

// What a signature check depends on: the RRSIG (signature included), the key, and the
// RRset as signed (owner as the RRSIG's label count makes it, type, class, sorted rdata).
std::string check_digest(const std::vector<Record>& rrset, const Record& sig, uint8_t labels,
                         const Record& key) {
    Name signed_owner = rrset[0].owner;
    if (signed_labels(signed_owner) > labels)
        signed_owner = signed_owner.suffix(labels).wildcard().value();  // fewer labels: fits
    std::vector<std::string_view> rdatas;
    rdatas.reserve(rrset.size());
    for (const auto& r : rrset) rdatas.push_back(r.rdata);
    std::sort(rdatas.begin(), rdatas.end());
    std::string input = signed_owner.key();
    auto add = [&](std::string_view part) {
        uint8_t len[4];
        store32(len, static_cast<uint32_t>(part.size()));
        input.append(reinterpret_cast<char*>(len), 4);
        input += part;
    };
    add(std::string_view(reinterpret_cast<const char*>(&rrset[0].type), 2));
    for (auto rd : rdatas) add(rd);
    add(sig.rdata);
    add(key.rdata);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(md), len);
}

// OpenSSL directly (dnssec/signature_check); ldns only for the types whose rdata names
// that does not canonicalise. `at` is a moment inside the RRSIG's window, for ldns.
bool signature_verifies(const std::vector<Record>& rrset, const Record& sig, const Record& key,
                        uint32_t at) {
    switch (check_signature(rrset, sig.rdata, key.rdata)) {
        case SignatureCheck::valid:
            return true;
        case SignatureCheck::invalid:
            return false;
        case SignatureCheck::not_handled:
            break;
    }
    LdnsList set = to_ldns(rrset);
    LdnsRr s = to_ldns(sig), k = to_ldns(key);
    return s && k && ldns_verify_rrsig_time(set.get(), s.get(), k.get(), at) == LDNS_STATUS_OK;
}

}  // namespace

std::size_t signed_labels(const Name& owner) {
    return owner.label_count() - (owner.first_label() == "*" ? 1 : 0);
}

bool algorithm_supported(uint8_t alg) {
    switch (alg) {
        case algorithm::RSASHA1:
        case algorithm::RSASHA1_NSEC3_SHA1:
        case algorithm::RSASHA256:
        case algorithm::RSASHA512:
        case algorithm::ECDSAP256SHA256:
        case algorithm::ECDSAP384SHA384:
        case algorithm::ED25519:
        case algorithm::ED448:
            return true;
        default:
            return false;
    }
}

bool digest_supported(uint8_t digest) {
    return ds_digest(digest) != nullptr;
}

uint16_t key_tag(std::string_view rdata) {
    uint32_t ac = 0;
    for (std::size_t i = 0; i < rdata.size(); ++i) {
        auto b = static_cast<uint8_t>(rdata[i]);
        ac += (i & 1) ? b : uint32_t{b} << 8;
    }
    ac += (ac >> 16) & 0xFFFF;
    return static_cast<uint16_t>(ac & 0xFFFF);
}

bool ds_matches(const Name& owner, std::string_view ds_rdata, std::string_view dnskey_rdata) {
    auto ds = DsView::parse(ds_rdata);
    auto key = DnskeyView::parse(dnskey_rdata);
    if (!ds || !key || ds->key_tag() != key_tag(dnskey_rdata) ||
        ds->algorithm() != key->algorithm())
        return false;
    const EVP_MD* md = ds_digest(ds->digest_type());
    if (!md) return false;
    std::string input = owner.key() + std::string(dnskey_rdata);  // canonical owner + rdata
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(input.data(), input.size(), digest, &len, md, nullptr)) return false;
    return ds->digest() == std::string_view(reinterpret_cast<const char*>(digest), len);
}

std::optional<RrsigInfo> parse_rrsig(std::string_view rdata) {
    auto v = RrsigView::parse(rdata);
    if (!v) return std::nullopt;
    return RrsigInfo{v->type_covered(), v->algorithm(), v->labels(),  v->original_ttl(),
                     v->expiration(),   v->inception(), v->key_tag(), v->signer()};
}

std::vector<Record> signatures_for(const std::vector<Record>& records, const Name& owner,
                                   uint16_t type) {
    std::vector<Record> out;
    for (const auto& r : records) {
        if (r.type != type::RRSIG || !(r.owner == owner)) continue;
        if (auto i = parse_rrsig(r.rdata); i && i->type_covered == type) out.push_back(r);
    }
    return out;
}

Verdict verify_rrset(const std::vector<Record>& rrset, const std::vector<Record>& rrsigs,
                     const std::vector<Record>& keys, const Name& zone, uint32_t now,
                     const Limits& limits, Work& work, SignatureCache* seen, const Record** used) {
    if (rrset.empty()) return Verdict::bogus(ede::dnssec_bogus, "empty RRset");
    if (rrsigs.empty())
        return Verdict::bogus(ede::rrsigs_missing, "no RRSIG for " + rrset[0].owner.to_text());
    bool expired = false, not_yet = false, bad = false, no_zone_bit = false, unsupported = false;
    std::size_t owner_labels = signed_labels(rrset[0].owner);
    for (const auto& sig : rrsigs) {
        auto info = parse_rrsig(sig.rdata);
        // RFC 4035 §5.3.1: the signer is the zone holding the RRset, and a wildcard it
        // was expanded from lies inside that zone (labels not fewer than the signer's).
        if (!info || !(info->signer == zone) || info->labels > owner_labels ||
            info->labels < info->signer.label_count() ||
            !rrset[0].owner.is_subdomain_of(info->signer)) {
            bad = true;
            continue;
        }
        if (!algorithm_supported(info->algorithm)) {
            unsupported = true;
            continue;
        }
        if (serial_diff(now, info->inception) < -int64_t{limits.clock_skew}) {
            not_yet = true;
            continue;
        }
        if (serial_diff(info->expiration, now) < -int64_t{limits.clock_skew}) {
            expired = true;
            continue;
        }
        // Inside the window once skew is allowed: check as of a moment ldns accepts.
        uint32_t at = serial_diff(now, info->inception) < 0    ? info->inception
                      : serial_diff(info->expiration, now) < 0 ? info->expiration
                                                               : now;
        int tried = 0;
        for (const auto& key : keys) {
            auto kf = DnskeyView::parse(key.rdata);
            if (!kf || kf->algorithm() != info->algorithm || kf->protocol() != kDnskeyProtocol ||
                key_tag(key.rdata) != info->key_tag)
                continue;
            if (!kf->zone_key()) {
                no_zone_bit = true;
                continue;
            }
            if (++tried > limits.max_key_collisions) break;
            uint32_t left = serial_diff(info->expiration, now) > 0 ? info->expiration - now : 0;
            std::string digest;
            if (seen) {
                digest = check_digest(rrset, sig, info->labels, key);
                if (seen->contains(digest, now)) {
                    if (used) *used = &sig;
                    return Verdict::secure(std::min(info->original_ttl, left));
                }
            }
            if (--work.verifications_left < 0)
                return Verdict::bogus(ede::dnssec_bogus, "signature verification limit reached");
            if (signature_verifies(rrset, sig, key, at)) {
                if (seen) seen->add(std::move(digest), info->expiration);
                if (used) *used = &sig;
                return Verdict::secure(std::min(info->original_ttl, left));
            }
            bad = true;
        }
    }
    std::string what = rrset[0].owner.to_text();
    if (bad) return Verdict::bogus(ede::dnssec_bogus, "signature does not verify for " + what);
    if (expired) return Verdict::bogus(ede::signature_expired, "signature expired for " + what);
    if (not_yet)
        return Verdict::bogus(ede::signature_not_yet_valid, "signature not yet valid for " + what);
    if (no_zone_bit)
        return Verdict::bogus(ede::no_zone_key_bit, "key without zone bit for " + what);
    if (unsupported)
        return Verdict::bogus(ede::unsupported_dnskey_algorithm,
                              "unsupported algorithm for " + what);
    return Verdict::bogus(ede::dnskey_missing, "no DNSKEY matches the RRSIG for " + what);
}

Verdict verify_dnskeys(const std::vector<Record>& dnskeys, const std::vector<Record>& rrsigs,
                       const std::vector<Record>& anchors, const Name& zone, uint32_t now,
                       const Limits& limits, Work& work, SignatureCache* seen) {
    std::vector<Record> trusted;
    bool usable = false;
    for (const auto& a : anchors) {
        if (a.type == type::DNSKEY) {
            auto kf = DnskeyView::parse(a.rdata);
            if (!kf || !algorithm_supported(kf->algorithm())) continue;
            usable = true;
            for (const auto& k : dnskeys)
                if (k.rdata == a.rdata) trusted.push_back(k);
        } else if (a.type == type::DS) {
            auto ds = DsView::parse(a.rdata);
            if (!ds || !algorithm_supported(ds->algorithm()) ||
                !digest_supported(ds->digest_type()))
                continue;
            usable = true;
            for (const auto& k : dnskeys)
                if (ds_matches(zone, a.rdata, k.rdata)) trusted.push_back(k);
        }
    }
    // RFC 4035 §5.2: a DS set with only unsupported algorithms/digests makes the zone insecure.
    if (!usable)
        return Verdict::insecure("no supported DS algorithm or digest for " + zone.to_text());
    if (dnskeys.empty())
        return Verdict::bogus(ede::dnskey_missing, "no DNSKEY for " + zone.to_text());
    if (trusted.empty())
        return Verdict::bogus(ede::dnskey_missing,
                              "no DNSKEY of " + zone.to_text() + " matches its DS");
    return verify_rrset(dnskeys, rrsigs, trusted, zone, now, limits, work, seen);
}

}  // namespace port53::dnssec
