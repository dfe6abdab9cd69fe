// What the load generator reads of a response (untrusted bytes from the network): the
// header, and whether its question section is the one that was asked.
#pragma once
#include <cstdint>
#include <span>

namespace port53::loadgen {

struct ResponseHead {
    uint16_t id = 0;
    uint16_t flags = 0;
    uint8_t rcode = 0;  // the header's 4 bits (no extended RCODE: the lab sends none)
    bool truncated = false;
};

// False if `wire` is no response (shorter than a header, or QR clear).
bool read_response_head(std::span<const uint8_t> wire, ResponseHead& out);

// True if the response carries exactly one question equal to `question` (the sent name,
// type and class; the name compared case-insensitively, RFC 4343).
bool question_matches(std::span<const uint8_t> wire, std::span<const uint8_t> question);

}  // namespace port53::loadgen
