// Finding the OPT record (RFC 6891) and its options in a message's wire form without
// parsing it into records: for the checks made on every upstream reply (cookie echo), on
// encrypted answers (padding) and for a DoH answer's lifetime.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

namespace port53::wire {

struct OptLocation {
    std::size_t start;      // offset of the owner name
    std::size_t rdlen_at;   // offset of RDLENGTH
    std::size_t rdata_end;  // offset just past RDATA
    bool last;              // nothing follows it
};

// The OPT record of `m`; nullopt if there is none or the message is malformed.
std::optional<OptLocation> find_opt(std::span<const uint8_t> m);

// The data of the first option `code` in that OPT record.
std::optional<std::span<const uint8_t>> find_option(std::span<const uint8_t> m,
                                                    const OptLocation& opt, uint16_t code);

// The smallest TTL of the records in all three sections (OPT left out), as parse_message
// would find it, without building the records (a DoH answer's Cache-Control, RFC 8484 §5.1);
// nullopt if there are none or `m` is malformed.
std::optional<uint32_t> smallest_ttl(std::span<const uint8_t> m);

// RFC 7873 §5.3: false if `query` carried a client cookie and `response` has a COOKIE
// option that does not echo it (a spoof, or broken). A response without one passes here.
bool cookie_echoed(std::span<const uint8_t> query, std::span<const uint8_t> response);

}  // namespace port53::wire
