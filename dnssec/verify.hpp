// Signature and key checks (RFC 4034, 4035): pure functions over records, no I/O.
// The signature checks themselves are in dnssec/signature_check (OpenSSL).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "dnssec/signature_cache.hpp"
#include "dnssec/verdict.hpp"
#include "wire/message.hpp"

namespace port53::dnssec {

// Algorithms and DS digests we can check (RFC 8624 MUSTs and the curves).
bool algorithm_supported(uint8_t alg);
bool digest_supported(uint8_t digest);

// Labels an RRSIG over `owner` counts (RFC 4034 §3.1.3: a leading "*" does not); an RRSIG
// with fewer labels signed a wildcard that was expanded into `owner`.
std::size_t signed_labels(const wire::Name& owner);

// RFC 4034 Appendix B.
uint16_t key_tag(std::string_view dnskey_rdata);
// True if `ds` (a DS rdata) is the digest of the DNSKEY `dnskey_rdata` owned by `owner`.
bool ds_matches(const wire::Name& owner, std::string_view ds_rdata, std::string_view dnskey_rdata);

// Fields of an RRSIG rdata that the validator looks at.
struct RrsigInfo {
    uint16_t type_covered = 0;
    uint8_t algorithm = 0;
    uint8_t labels = 0;
    uint32_t original_ttl = 0;
    uint32_t expiration = 0;
    uint32_t inception = 0;
    uint16_t key_tag = 0;
    wire::Name signer;
};
std::optional<RrsigInfo> parse_rrsig(std::string_view rdata);

// RRSIGs in `records` that cover `type` at `owner`.
std::vector<wire::Record> signatures_for(const std::vector<wire::Record>& records,
                                         const wire::Name& owner, uint16_t type);

// Secure if some RRSIG by `zone` over `rrset` verifies with one of `keys` (DNSKEY records)
// at time `now` (Unix seconds). Otherwise bogus with the most telling EDE code.
// With `seen`, signatures verified before are accepted without the crypto.
// `used`, when given, is set to the RRSIG that verified (others may be junk an attacker
// added: only that one says which zone signed the RRset and from which wildcard).
Verdict verify_rrset(const std::vector<wire::Record>& rrset,
                     const std::vector<wire::Record>& rrsigs, const std::vector<wire::Record>& keys,
                     const wire::Name& zone, uint32_t now, const Limits& limits, Work& work,
                     SignatureCache* seen = nullptr, const wire::Record** used = nullptr);

// A zone's DNSKEY RRset against its parent's DS set (or trust-anchor DS/DNSKEY records):
// secure if a key matching a supported DS signs the set; insecure if no DS is usable.
Verdict verify_dnskeys(const std::vector<wire::Record>& dnskeys,
                       const std::vector<wire::Record>& rrsigs,
                       const std::vector<wire::Record>& anchors, const wire::Name& zone,
                       uint32_t now, const Limits& limits, Work& work,
                       SignatureCache* seen = nullptr);

}  // namespace port53::dnssec
