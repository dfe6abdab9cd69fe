#include "dnssec/signature_check.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <functional>
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

struct MdFree {
    void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};
using FetchedMd = std::unique_ptr<EVP_MD, MdFree>;

// OpenSSL 3 looks an algorithm up in its provider tables on every EVP_DigestVerifyInit, and
// EVP_sha256() and its kind are such lookups too: the cold path paid that per signature.
// Fetched once per thread instead. Null for EdDSA, which hashes inside (RFC 8032).
const EVP_MD* digest_of(uint8_t alg) {
    thread_local FetchedMd sha1(EVP_MD_fetch(nullptr, "SHA1", nullptr));
    thread_local FetchedMd sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    thread_local FetchedMd sha384(EVP_MD_fetch(nullptr, "SHA384", nullptr));
    thread_local FetchedMd sha512(EVP_MD_fetch(nullptr, "SHA512", nullptr));
    switch (alg) {
        case algorithm::RSASHA1:
        case algorithm::RSASHA1_NSEC3_SHA1:
            return sha1.get();
        case algorithm::RSASHA256:
        case algorithm::ECDSAP256SHA256:
            return sha256.get();
        case algorithm::ECDSAP384SHA384:
            return sha384.get();
        case algorithm::RSASHA512:
            return sha512.get();
        default:
            return nullptr;
    }
}

bool is_ecdsa(uint8_t alg) {
    return alg == algorithm::ECDSAP256SHA256 || alg == algorithm::ECDSAP384SHA384;
}

// A decoded key with a context already set up to check signatures over a digest, so each
// signature costs a hash and EVP_PKEY_verify (the context is not changed by a check and is
// reused). EdDSA has no such context: it signs the data itself, not a digest.
struct VerifyingKey {
    Pkey key;
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx;
    uint8_t algorithm = 0;
};

VerifyingKey prepare_key(uint8_t alg, std::string_view public_key) {
    VerifyingKey v{decode_key(alg, public_key), nullptr, alg};
    const EVP_MD* md = digest_of(alg);
    if (!v.key || !md) return v;
    v.ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, v.key.get(), nullptr));
    // RFC 3110 §3 and RFC 5702 §3: PKCS #1 v1.5 with the digest's DigestInfo.
    if (!v.ctx || EVP_PKEY_verify_init(v.ctx.get()) != 1 ||
        (!is_ecdsa(alg) && EVP_PKEY_CTX_set_rsa_padding(v.ctx.get(), RSA_PKCS1_PADDING) != 1) ||
        EVP_PKEY_CTX_set_signature_md(v.ctx.get(), md) != 1)
        v.key.reset();  // unusable: every check with it fails, as with a bad key
    return v;
}

struct BytesHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Decoded keys by DNSKEY rdata, per thread (no lock; each worker decodes a key once).
// Bounded: a flood of distinct keys only empties it now and then.
class KeyMemo {
  public:
    const VerifyingKey& get(std::string_view dnskey_rdata, uint8_t alg,
                            std::string_view public_key) {
        auto it = keys_.find(dnskey_rdata);
        if (it != keys_.end()) return it->second;
        if (keys_.size() >= kMaxKeys) keys_.clear();
        auto [added, _] = keys_.emplace(std::string(dnskey_rdata), prepare_key(alg, public_key));
        return added->second;
    }

  private:
    static constexpr std::size_t kMaxKeys = 512;
    std::unordered_map<std::string, VerifyingKey, BytesHash, std::equal_to<>> keys_;
};

// The largest DER form of a P-384 signature: SEQUENCE of two INTEGERs of up to 49 bytes.
constexpr std::size_t kMaxEcdsaDer = 2 + 2 * (2 + 49);

// One DER INTEGER (X.690 §8.3) from an unsigned big-endian number: no leading zero bytes
// but one, and a zero byte first when the top bit is set (it would read as negative).
std::size_t der_integer(std::string_view n, unsigned char* out) {
    std::size_t skip = 0;
    while (skip + 1 < n.size() && n[skip] == 0) ++skip;
    n.remove_prefix(skip);
    bool pad = (static_cast<uint8_t>(n[0]) & 0x80) != 0;
    out[0] = 0x02;
    out[1] = static_cast<unsigned char>(n.size() + (pad ? 1 : 0));
    std::size_t at = 2;
    if (pad) out[at++] = 0;
    std::copy(n.begin(), n.end(), out + at);
    return at + n.size();
}

// RFC 6605 §4: r and s side by side; OpenSSL wants them DER-encoded. Written here, in a
// buffer on the stack (ECDSA_SIG and i2d cost three allocations per signature); always
// short-form lengths, as the largest is under 128 bytes.
std::size_t ecdsa_der(std::string_view sig, std::size_t half, unsigned char* out) {
    if (sig.size() != 2 * half) return 0;
    std::size_t len = der_integer(sig.substr(0, half), out + 2);
    len += der_integer(sig.substr(half), out + 2 + len);
    out[0] = 0x30;
    out[1] = static_cast<unsigned char>(len);
    return 2 + len;
}

bool verify_digest(const VerifyingKey& k, std::string_view sig, std::string_view data) {
    thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> hash(EVP_MD_CTX_new());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!hash || EVP_DigestInit_ex2(hash.get(), digest_of(k.algorithm), nullptr) != 1 ||
        EVP_DigestUpdate(hash.get(), data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(hash.get(), md, &md_len) != 1)
        return false;
    unsigned char der[kMaxEcdsaDer];
    if (is_ecdsa(k.algorithm)) {
        std::size_t len = ecdsa_der(sig, k.algorithm == algorithm::ECDSAP256SHA256 ? 32 : 48, der);
        if (len == 0) return false;
        sig = std::string_view(reinterpret_cast<const char*>(der), len);
    }
    return EVP_PKEY_verify(k.ctx.get(), bytes(sig), sig.size(), md, md_len) == 1;
}

bool verify(const VerifyingKey& k, uint8_t alg, std::string_view sig, std::string_view data) {
    // RFC 4035 §5.3.1: the RRSIG's algorithm is the key's (the memo is keyed by the rdata).
    if (!k.key || alg != k.algorithm) return false;
    bool ok = false;
    if (k.ctx) {
        ok = verify_digest(k, sig, data);
    } else {
        std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
        ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, k.key.get()) == 1 &&
             EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(data), data.size()) == 1;
    }
    if (!ok) ERR_clear_error();  // a forged signature leaves nothing behind for others to read
    return ok;
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
    const VerifyingKey& key = memo.get(dnskey_rdata, k->algorithm(), k->public_key());
    return verify(key, v->algorithm(), v->signature(), *data) ? SignatureCheck::valid
                                                              : SignatureCheck::invalid;
}

}  // namespace port53::dnssec
