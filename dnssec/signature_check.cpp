#include "dnssec/signature_check.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "dnssec/verify.hpp"
#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

constexpr std::size_t kRrsigFixed = 18;  // RFC 4034 §3.1: the fields before the signer

const uint8_t* bytes(std::string_view s) {
    return reinterpret_cast<const uint8_t*>(s.data());
}

// Lower-cases the uncompressed name at `pos` in place; false if it is not one.
bool lower_name(std::string& rdata, std::size_t& pos) {
    while (pos < rdata.size()) {
        auto len = static_cast<uint8_t>(rdata[pos]);
        if (len == 0) {
            ++pos;
            return true;
        }
        if (len > 63 || pos + 1 + len > rdata.size()) return false;
        for (std::size_t i = pos + 1; i <= pos + len; ++i)
            rdata[i] = static_cast<char>(ascii_lower(static_cast<uint8_t>(rdata[i])));
        pos += 1 + len;
    }
    return false;
}

// RFC 4034 §6.2 item 3 as RFC 6840 §5.1 leaves it: names in these types' rdata are
// lower-cased (not NSEC's, not HINFO's). The obsolete MD, MF, SIG, PX, NXT, NAPTR and A6
// are left to ldns.
constexpr uint16_t kLeftToLdns[] = {3, 4, 24, 26, 30, 35, 38};

std::optional<std::string> canonical_rdata(uint16_t type, std::string_view rdata) {
    if (std::find(std::begin(kLeftToLdns), std::end(kLeftToLdns), type) != std::end(kLeftToLdns))
        return std::nullopt;
    std::string out(rdata);
    const char* layout = rdata_name_layout(type);
    if (!layout) return out;
    std::size_t pos = 0;
    for (const char* l = layout; *l; ++l) {
        if (*l == 'N') {
            if (!lower_name(out, pos)) return std::nullopt;
        } else {
            pos += (*l == 'T') ? 20 : static_cast<std::size_t>(*l - '0');
        }
    }
    if (pos != out.size()) return std::nullopt;
    return out;
}

// RFC 3110 §2: exponent length (one byte, or zero and two bytes), exponent, modulus.
Pkey rsa_key(std::string_view k) {
    if (k.empty()) return nullptr;
    std::size_t elen = static_cast<uint8_t>(k[0]), at = 1;
    if (elen == 0) {
        if (k.size() < 3) return nullptr;
        elen = load16(bytes(k) + 1);
        at = 3;
    }
    // RFC 3110 §2 bounds the modulus at 4096 bits; a longer one, or an exponent past 64
    // bits, would only make each check slower (an authority's way to burn our CPU).
    if (elen == 0 || elen > 8 || at + elen >= k.size() || k.size() - at - elen > 512)
        return nullptr;
    std::unique_ptr<BIGNUM, BnFree> e(BN_bin2bn(bytes(k) + at, static_cast<int>(elen), nullptr));
    std::unique_ptr<BIGNUM, BnFree> n(
        BN_bin2bn(bytes(k) + at + elen, static_cast<int>(k.size() - at - elen), nullptr));
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (!e || !n || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()))
        return nullptr;
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return nullptr;
    return Pkey(key);
}

// RFC 6605 §4: the point's X and Y, each `half` bytes.
Pkey ec_key(std::string_view k, const char* group, std::size_t half) {
    if (k.size() != 2 * half) return nullptr;
    std::string point = "\x04" + std::string(k);  // SEC 1 uncompressed form
    std::string group_name(group);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group_name.data(), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        return nullptr;
    return Pkey(key);
}

Pkey decode_key(uint8_t alg, std::string_view k) {
    switch (alg) {
        case algorithm::RSASHA1:
        case algorithm::RSASHA1_NSEC3_SHA1:
        case algorithm::RSASHA256:
        case algorithm::RSASHA512:
            return rsa_key(k);
        case algorithm::ECDSAP256SHA256:
            return ec_key(k, "P-256", 32);
        case algorithm::ECDSAP384SHA384:
            return ec_key(k, "P-384", 48);
        case algorithm::ED25519:  // RFC 8080 §3
            if (k.size() != 32) return nullptr;
            return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(k), 32));
        case algorithm::ED448:
            if (k.size() != 57) return nullptr;
            return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED448, nullptr, bytes(k), 57));
        default:
            return nullptr;
    }
}

// Decoded keys by DNSKEY rdata, per thread (no lock; each worker decodes a key once).
// Bounded: a flood of distinct keys only empties it now and then.
class KeyMemo {
  public:
    EVP_PKEY* get(std::string_view dnskey_rdata, uint8_t alg, std::string_view public_key) {
        auto it = keys_.find(std::string(dnskey_rdata));
        if (it != keys_.end()) return it->second.get();
        if (keys_.size() >= kMaxKeys) keys_.clear();
        auto [added, _] = keys_.emplace(std::string(dnskey_rdata), decode_key(alg, public_key));
        return added->second.get();
    }

  private:
    static constexpr std::size_t kMaxKeys = 512;
    std::unordered_map<std::string, Pkey> keys_;
};

const EVP_MD* digest_of(uint8_t alg) {
    switch (alg) {
        case algorithm::RSASHA1:
        case algorithm::RSASHA1_NSEC3_SHA1:
            return EVP_sha1();
        case algorithm::RSASHA256:
        case algorithm::ECDSAP256SHA256:
            return EVP_sha256();
        case algorithm::ECDSAP384SHA384:
            return EVP_sha384();
        case algorithm::RSASHA512:
            return EVP_sha512();
        default:
            return nullptr;  // EdDSA hashes inside the algorithm (RFC 8032)
    }
}

// RFC 6605 §4: r and s side by side; OpenSSL wants them DER-encoded.
std::optional<std::string> ecdsa_der(std::string_view sig, std::size_t half) {
    if (sig.size() != 2 * half) return std::nullopt;
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> s(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes(sig), static_cast<int>(half), nullptr);
    BIGNUM* ss = BN_bin2bn(bytes(sig) + half, static_cast<int>(half), nullptr);
    if (!s || !r || !ss || ECDSA_SIG_set0(s.get(), r, ss) != 1) {
        BN_free(r);
        BN_free(ss);
        return std::nullopt;
    }
    int len = i2d_ECDSA_SIG(s.get(), nullptr);
    if (len <= 0) return std::nullopt;
    std::string out(static_cast<std::size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    i2d_ECDSA_SIG(s.get(), &p);
    return out;
}

bool verify(EVP_PKEY* key, uint8_t alg, std::string_view sig, std::string_view data) {
    std::optional<std::string> der;
    if (alg == algorithm::ECDSAP256SHA256 || alg == algorithm::ECDSAP384SHA384) {
        der = ecdsa_der(sig, alg == algorithm::ECDSAP256SHA256 ? 32 : 48);
        if (!der) return false;
        sig = *der;
    }
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, digest_of(alg), nullptr, key) == 1 &&
           EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(data), data.size()) == 1;
}

}  // namespace

std::optional<std::string> signed_data(const std::vector<Record>& rrset,
                                       std::string_view rrsig_rdata) {
    auto v = RrsigView::parse(rrsig_rdata);
    if (!v || rrset.empty()) return std::nullopt;
    std::string out(rrsig_rdata.substr(0, kRrsigFixed));
    out += v->signer().key();  // the signer in canonical form
    // §3.1.8.1: a wildcard expansion is signed as the wildcard ("*." and the RRSIG's labels).
    Name owner = rrset[0].owner;
    if (signed_labels(owner) > v->labels()) owner = owner.suffix(v->labels()).wildcard().value();
    std::string head = owner.key();
    uint8_t fixed[8];
    store16(fixed, rrset[0].type);
    store16(fixed + 2, rrset[0].cls);
    store32(fixed + 4, v->original_ttl());  // every record at the original TTL
    head.append(reinterpret_cast<const char*>(fixed), sizeof fixed);
    std::vector<std::string> rdatas;
    rdatas.reserve(rrset.size());
    for (const auto& r : rrset) {
        auto c = canonical_rdata(r.type, r.rdata);
        if (!c) return std::nullopt;
        rdatas.push_back(std::move(*c));
    }
    // §6.3: ordered as left-justified octet strings; an RR appears once (RFC 2181 §5).
    std::sort(rdatas.begin(), rdatas.end());
    rdatas.erase(std::unique(rdatas.begin(), rdatas.end()), rdatas.end());
    for (const auto& rd : rdatas) {
        out += head;
        uint8_t len[2];
        store16(len, static_cast<uint16_t>(rd.size()));
        out.append(reinterpret_cast<const char*>(len), 2);
        out += rd;
    }
    return out;
}

SignatureCheck check_signature(const std::vector<Record>& rrset, std::string_view rrsig_rdata,
                               std::string_view dnskey_rdata) {
    auto v = RrsigView::parse(rrsig_rdata);
    auto k = DnskeyView::parse(dnskey_rdata);
    if (!v || !k || rrset.empty() || v->type_covered() != rrset[0].type)
        return SignatureCheck::invalid;
    auto data = signed_data(rrset, rrsig_rdata);
    if (!data) return SignatureCheck::not_handled;
    thread_local KeyMemo memo;
    EVP_PKEY* key = memo.get(dnskey_rdata, k->algorithm(), k->public_key());
    if (!key) return SignatureCheck::invalid;
    return verify(key, v->algorithm(), v->signature(), *data) ? SignatureCheck::valid
                                                              : SignatureCheck::invalid;
}

}  // namespace port53::dnssec
