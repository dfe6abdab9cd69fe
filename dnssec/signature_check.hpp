// One RRSIG checked against one DNSKEY with OpenSSL directly: the signed data built from
// our records (RFC 4034 §3.1.8.1, canonical form §6.2 as RFC 6840 §5.1 corrects it), the
// public key decoded once per DNSKEY and kept per thread (the cold path used to decode it
// for every signature through ldns). Pure apart from that per-thread memo; no I/O.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/message.hpp"

namespace port53::dnssec {

enum class SignatureCheck {
    valid,
    invalid,
    not_handled,  // a type whose rdata names we do not canonicalise: ask ldns instead
};

// `rrsig_rdata` over `rrset` by the key `dnskey_rdata`. The caller has checked the RRSIG's
// signer, labels, validity window, algorithm and key tag.
SignatureCheck check_signature(const std::vector<wire::Record>& rrset, std::string_view rrsig_rdata,
                               std::string_view dnskey_rdata);

// What the signer signed: the RRSIG rdata without its signature, then every record of the
// RRset in canonical form and order, duplicates once. Nullopt for not_handled types.
std::optional<std::string> signed_data(const std::vector<wire::Record>& rrset,
                                       std::string_view rrsig_rdata);

}  // namespace port53::dnssec
