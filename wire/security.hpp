// DNSSEC status of data (RFC 4035 §4.3), shared by the cache, the validator and the engine.
#pragma once
#include <cstdint>

namespace port53::wire {

enum class Security : uint8_t {
    unchecked = 0,  // not validated (validation off, or not yet)
    secure = 1,     // chain of trust from an anchor verified
    insecure = 2,   // provably unsigned (no DS, unsupported algorithms, opt-out, NTA)
    bogus = 3,      // should verify and does not
};

// The less trustworthy of two statuses: combining the links of a CNAME chain.
inline Security worst(Security a, Security b) {
    auto rank = [](Security s) {
        switch (s) {
            case Security::secure:
                return 0;
            case Security::insecure:
                return 1;
            case Security::unchecked:
                return 2;
            case Security::bogus:
                return 3;
        }
        return 3;
    };
    return rank(a) >= rank(b) ? a : b;
}

// Extended DNS Error codes (RFC 8914 §4) the resolver reports.
namespace ede {
constexpr uint16_t none = 0xFFFF;
constexpr uint16_t unsupported_dnskey_algorithm = 1;
constexpr uint16_t unsupported_ds_digest = 2;
constexpr uint16_t stale_answer = 3;
constexpr uint16_t dnssec_bogus = 6;
constexpr uint16_t signature_expired = 7;
constexpr uint16_t signature_not_yet_valid = 8;
constexpr uint16_t dnskey_missing = 9;
constexpr uint16_t rrsigs_missing = 10;
constexpr uint16_t no_zone_key_bit = 11;
constexpr uint16_t nsec_missing = 12;
constexpr uint16_t blocked = 15;   // by the operator's blocklist
constexpr uint16_t filtered = 17;  // by a filter the client asked for
constexpr uint16_t no_reachable_authority = 22;
constexpr uint16_t unsupported_nsec3_iterations = 27;
}  // namespace ede

}  // namespace port53::wire
