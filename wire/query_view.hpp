// Allocation-free reading of an incoming client query: the first step of the hot path.
#pragma once
#include <cstdint>
#include <span>

#include "wire/types.hpp"

namespace port53::wire {

enum class QueryCheck {
    ok,
    drop,     // not even a header, or a response (QR=1): never answer, it may be a reflection loop
    formerr,  // header readable but the rest is malformed or not a single question
    notimp,   // opcode other than QUERY
    badvers,  // EDNS version other than 0 (RFC 6891 §6.1.3)
};

struct QueryView {
    uint16_t id = 0;
    uint16_t flags = 0;
    uint16_t qtype = 0;
    uint16_t qclass = 0;
    uint8_t qname[kMaxNameWire];  // lower-cased wire form
    uint8_t qname_len = 0;
    uint16_t question_end = 0;  // offset just past QTYPE/QCLASS in the query
    bool edns = false;
    bool dnssec_ok = false;
    uint16_t udp_size = kMinUdpSize;
    // The client's COOKIE option data (RFC 7873 §4): 8 bytes of client cookie, then
    // its copy of our server cookie (8 to 32 bytes) if it has one.
    uint8_t cookie[40];
    uint8_t cookie_len = 0;

    bool rd() const { return flags & flag::RD; }
    bool cd() const { return flags & flag::CD; }
};

QueryCheck parse_query(std::span<const uint8_t> wire, QueryView& out);

}  // namespace port53::wire
