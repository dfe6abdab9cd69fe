// What the validator concludes, and the limits it works within.
#pragma once
#include <cstdint>
#include <string>

#include "wire/security.hpp"

namespace port53::dnssec {

using wire::Security;

struct Verdict {
    Security security = Security::bogus;
    uint16_t ede = wire::ede::dnssec_bogus;
    std::string why;                // for logs
    uint32_t ttl_cap = UINT32_MAX;  // secure data may not outlive its signatures

    static Verdict secure(uint32_t cap = UINT32_MAX) {
        return {Security::secure, wire::ede::none, "", cap};
    }
    static Verdict insecure(std::string why = "") {
        return {Security::insecure, wire::ede::none, std::move(why)};
    }
    static Verdict bogus(uint16_t code, std::string why) {
        return {Security::bogus, code, std::move(why)};
    }
    bool is_secure() const { return security == Security::secure; }
};

// Defences against validation-based denial of service (KeyTrap, CVE-2023-50387;
// NSEC3 hashing, CVE-2023-50868): work per response is capped; over the cap is bogus.
struct Limits {
    int max_verifications = 16;           // signature checks per response
    int max_key_collisions = 4;           // keys tried per RRSIG (same tag and algorithm)
    int max_nsec3_hashes = 32;            // distinct names hashed per response
    uint16_t nsec3_max_iterations = 150;  // above: insecure (RFC 9276 §3.2)
    uint32_t clock_skew = 300;            // seconds of slack around signature validity
};

// Work left for one response; shared by every check on it.
struct Work {
    explicit Work(const Limits& l)
        : verifications_left(l.max_verifications), nsec3_hashes_left(l.max_nsec3_hashes) {}
    int verifications_left;
    int nsec3_hashes_left;
};

}  // namespace port53::dnssec
