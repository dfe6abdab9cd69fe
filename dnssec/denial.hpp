// Authenticated denial of existence (RFC 4035 §5.4 for NSEC, RFC 5155 §8 for NSEC3):
// given NSEC or NSEC3 records whose signatures were already checked, decide whether
// they prove what a negative or wildcard answer claims.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dnssec/verdict.hpp"
#include "wire/message.hpp"

namespace port53::dnssec {

enum class Proof {
    proven,
    opt_out,        // only an NSEC3 opt-out span covers it: provably unsigned, not secure
    too_expensive,  // NSEC3 iterations above the limit (RFC 9276): insecure
    failed,
};

// RFC 4034 §6.1 canonical order of names: <0, 0, >0.
int canonical_compare(const wire::Name& a, const wire::Name& b);
// RFC 5155 §5 hash of a name; spends one unit of the hash budget, nullopt when spent.
std::optional<std::string> nsec3_hash(const wire::Name& name, std::string_view salt,
                                      uint16_t iterations, Work& work);
// Type bitmap test for NSEC and NSEC3 rdata.
bool nsec_has_type(const wire::Record& nsec_or_nsec3, uint16_t type);

// The hash an NSEC3 record's owner name carries (its first label, base32hex decoded).
std::optional<std::string> nsec3_owner_hash(const wire::Record& nsec3);

// Closest encloser implied by an NSEC covering `name` (RFC 4035 §5.4): the longer of the
// names it shares with the NSEC's owner and with its next name.
wire::Name nsec_closest_encloser(const wire::Record& covering, const wire::Name& name);

// `records` is the authority section (NSEC/NSEC3 of `zone` are picked out of it).
Proof prove_nxdomain(const wire::Name& qname, const std::vector<wire::Record>& records,
                     const wire::Name& zone, const Limits& limits, Work& work);
// That `q.name` exists without `q.type` (the class is not looked at).
Proof prove_nodata(const wire::Question& q, const std::vector<wire::Record>& records,
                   const wire::Name& zone, const Limits& limits, Work& work);
// That `child` is an insecure delegation from `parent` (what makes a zone insecure, not a
// mere absence of DS): the parent's NSEC/NSEC3 for the child shows NS but no DS and no SOA,
// or (opt_out) an NSEC3 opt-out span covers it. A name that does not exist, or exists
// without NS, is no delegation: an attacker's referral to it proves nothing.
Proof prove_insecure_delegation(const wire::Name& child, const std::vector<wire::Record>& records,
                                const wire::Name& parent, const Limits& limits, Work& work);

// A wildcard expansion of `qname` from a signature with `labels` labels: the name itself
// must not exist (RFC 4035 §5.3.4, RFC 5155 §8.8).
Proof prove_wildcard_expansion(const wire::Name& qname, uint8_t labels,
                               const std::vector<wire::Record>& records, const wire::Name& zone,
                               const Limits& limits, Work& work);

}  // namespace port53::dnssec
