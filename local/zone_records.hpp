// Picking RRsets out of the records a local zone holds at one name.
#pragma once
#include <cstdint>
#include <vector>

#include "wire/message.hpp"
#include "wire/types.hpp"

namespace port53::local {

// RFC 4034 §3.1: an RRSIG's rdata starts with the type it covers.
inline uint16_t covered_type(const wire::Record& rrsig) {
    if (rrsig.rdata.size() < 2) return 0;
    return static_cast<uint16_t>(static_cast<uint8_t>(rrsig.rdata[0]) << 8 |
                                 static_cast<uint8_t>(rrsig.rdata[1]));
}

// The RRset of `qtype` at a name (every type but RRSIG for ANY), then the RRSIGs over it.
inline std::vector<wire::Record> rrset_of(const std::vector<wire::Record>& at, uint16_t qtype) {
    std::vector<wire::Record> out;
    for (const auto& r : at)
        if (r.type == qtype || (qtype == wire::type::ANY && r.type != wire::type::RRSIG))
            out.push_back(r);
    if (out.empty()) return out;
    for (const auto& r : at)
        if (r.type == wire::type::RRSIG && (qtype == wire::type::ANY || covered_type(r) == qtype))
            out.push_back(r);
    return out;
}

}  // namespace port53::local
