#include "dnssec/key_cache.hpp"

namespace port53::dnssec {

std::optional<KeyEntry> KeyCache::get(const wire::Name& zone, uint32_t now) {
    std::lock_guard lock(mutex_);
    auto it = map_.find(zone.key());
    if (it == map_.end() || it->second.expires <= now) return std::nullopt;
    return it->second.entry;
}

void KeyCache::put(const wire::Name& zone, KeyEntry e, uint32_t ttl, uint32_t now) {
    std::lock_guard lock(mutex_);
    // Bounded: when full, forget everything; entries are re-proven on demand.
    if (map_.size() >= max_) map_.clear();
    map_[zone.key()] = Stored{std::move(e), now + ttl};
}

}  // namespace port53::dnssec
