// A cache that survives restarts: the answer cache and the RRset caches (the default view's
// and the views' own) to and from a cache file (cache/cache_file.hpp). Each record keeps its
// absolute expiry in wall-clock Unix time (the caches' monotonic clock starts afresh with
// the process), and the RRset cache's credibility (RFC 2181 §5.4.1) and validation state,
// which its values carry. What comes back from a file is checked record by record: expired
// ones are dropped, damaged ones skipped, and a damaged file as a whole gives nothing.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "cache/rrset_cache.hpp"

namespace port53::cache {

struct CacheSet {
    AnswerCache& answers;
    RRsetCache& rrsets;
    std::vector<RRsetCache*> views = {};  // the views' own RRset caches, in [[view]] order
};

// Record sections: which cache a record belongs to.
enum CacheSection : uint8_t { answers_section = 0, rrsets_section = 1, first_view_section = 2 };

struct LoadReport {
    std::string error;  // why the whole file was ignored; empty if it was read
    std::size_t loaded = 0;
    std::size_t expired = 0;
    std::size_t skipped = 0;  // damaged records, or for views no longer configured
};

std::vector<uint8_t> serialize_caches(const CacheSet& caches, uint32_t now, uint32_t unix_now);
LoadReport restore_caches(std::span<const uint8_t> file, const CacheSet& caches, uint32_t now,
                          uint32_t unix_now);

struct DumpReport {
    std::string error;
    std::size_t records = 0;
    std::size_t bytes = 0;
};
DumpReport dump_caches(const std::string& path, const CacheSet& caches, const base::Clock& clock);
// Reads no more than the caches could hold (twice their bound, so a file from a larger
// configuration still loads, its least recently used records evicted).
LoadReport load_caches(const std::string& path, const CacheSet& caches, const base::Clock& clock);

}  // namespace port53::cache
