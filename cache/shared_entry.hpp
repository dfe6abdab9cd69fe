// Entries of the second-level cache a fleet shares (Redis, as Unbound's cachedb module keeps
// it): the key a resolved step is filed under and the bytes stored for it. What comes back
// is read as untrusted input: anything that does not parse exactly is refused (nullopt),
// and the engine judges what does parse again before it believes it (engine/second_level.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/message.hpp"
#include "wire/security.hpp"

namespace port53::cache {

// Bumped whenever the layout below changes: keys carry it too, so instances of two versions
// sharing one Redis never read each other's entries.
inline constexpr uint8_t kSharedFormat = 1;

struct SharedEntry {
    enum class Kind : uint8_t { answer = 1, cname = 2, nxdomain = 3, nodata = 4 };
    Kind kind = Kind::answer;
    // How the writer judged it: only secure or insecure are written (or read back).
    wire::Security security = wire::Security::insecure;
    uint16_t ede = wire::ede::none;
    uint32_t written = 0;  // Unix seconds when written: TTLs count down from here
    wire::Name zone;       // the zone whose servers gave it (the validator's starting point)
    wire::Name next;       // cname: the target still to resolve; denials: the name denied
    std::vector<wire::Record> records;    // CNAME/DNAME chain, then the data, RRSIGs inline
    std::vector<wire::Record> authority;  // SOA, NSEC/NSEC3 and their RRSIGs
};

// "<prefix>:v<format>:" then the question's lower-cased wire name, type and class (two bytes
// each, network order). The engine's RRset steps do not depend on a client's DO or CD bits
// (those are the answer cache's, in front), so they are not part of the key.
std::string shared_key(std::string_view prefix, const wire::Question& q);

// The value: "P53" + format, the fields above, then both record lists (owner wire, type,
// class, TTL, rdata length, rdata). Names are uncompressed.
std::string encode_shared(const SharedEntry& e);
// nullopt for anything else: another format, a truncation, trailing bytes, a bad name, a
// security state never written, more records than any answer holds, over 256 KiB.
std::optional<SharedEntry> decode_shared(std::string_view bytes);

// Counts the TTLs down by the time since `written`; false when any record has expired (then
// the entry is of no use). A writer's clock ahead of ours counts as no time passed.
bool age_shared(SharedEntry& e, uint32_t unix_now);

// The smallest TTL of the entry: how long Redis should keep it (SET ... EX).
uint32_t shared_ttl(const SharedEntry& e);

}  // namespace port53::cache
