#include "tools/loadgen/response.hpp"

#include <algorithm>

#include "tools/loadgen/query_file.hpp"
#include "wire/types.hpp"

namespace port53::loadgen {

bool read_response_head(std::span<const uint8_t> wire, ResponseHead& out) {
    if (wire.size() < kHeaderLen) return false;
    out.id = wire::load16(wire.data());
    out.flags = wire::load16(wire.data() + 2);
    if (!(out.flags & wire::flag::QR)) return false;
    out.rcode = static_cast<uint8_t>(out.flags & 0x000f);
    out.truncated = (out.flags & wire::flag::TC) != 0;
    return true;
}

// A server echoes the question as asked (RFC 1035 §4.1.2; 0x20 case kept): the name is
// uncompressed there, since nothing precedes it to point at. Compared byte by byte with
// ASCII case folded in the name (label lengths are below 64, so folding never changes
// one); type and class compared exactly.
bool question_matches(std::span<const uint8_t> wire, std::span<const uint8_t> question) {
    if (wire.size() < kHeaderLen + question.size()) return false;
    if (wire::load16(wire.data() + 4) != 1) return false;  // QDCOUNT
    const uint8_t* q = wire.data() + kHeaderLen;
    if (question.size() < 5) return false;
    std::size_t name_len = question.size() - 4;
    for (std::size_t i = 0; i < name_len; ++i) {
        if (wire::ascii_lower(q[i]) != wire::ascii_lower(question[i])) return false;
    }
    auto tail = question.subspan(name_len);
    return std::equal(tail.begin(), tail.end(), q + name_len);
}

}  // namespace port53::loadgen
