#include "cache/lru.hpp"

#include <bit>

namespace port53::cache {

ShardedLru::ShardedLru(std::size_t max_bytes, std::size_t shards) : max_bytes_(max_bytes) {
    std::size_t n = std::bit_ceil(shards < 1 ? std::size_t{1} : shards);
    per_shard_limit_.store(max_bytes / n, std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

void ShardedLru::drop(Shard& s, CacheEntry* e) {
    s.bytes -= EntryTable::charge(*e);
    s.table.erase(e);
}

void ShardedLru::evict_to_fit(Shard& s) {
    // CLOCK: an entry used since it was last looked at goes round once more. Every entry
    // can be spared at most once per call, so this ends.
    std::size_t spared = 0;
    const std::size_t limit = per_shard_limit_.load(std::memory_order_relaxed);
    while (s.bytes > limit && s.table.oldest() != nullptr) {
        CacheEntry* victim = s.table.oldest();
        if (victim->referenced.load(std::memory_order_relaxed) && spared < s.table.size()) {
            victim->referenced.store(false, std::memory_order_relaxed);
            s.table.move_to_front(victim);
            ++spared;
            continue;
        }
        drop(s, victim);
        s.evictions.store(s.evictions.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
    }
}

uint64_t ShardedLru::evictions() const {
    uint64_t n = 0;
    for (const auto& s : shards_) n += s->evictions.load(std::memory_order_relaxed);
    return n;
}

void ShardedLru::insert(std::string_view key, std::span<const uint8_t> value, uint32_t expires_at,
                        const ReplacePolicy& replace_if) {
    const std::size_t h = hash(key);
    Shard& s = shard_for(h);
    std::unique_lock lock(s.mutex);
    if (CacheEntry* e = s.table.find(key, h)) {
        if (replace_if && !replace_if(e->value(), e->expires_at)) return;
        s.bytes -= EntryTable::charge(*e);
        e = s.table.replace(e, value, expires_at);
        s.bytes += EntryTable::charge(*e);
    } else {
        s.bytes += EntryTable::charge(*s.table.insert(key, h, value, expires_at));
    }
    evict_to_fit(s);
}

void ShardedLru::erase(std::string_view key) {
    const std::size_t h = hash(key);
    Shard& s = shard_for(h);
    std::unique_lock lock(s.mutex);
    if (CacheEntry* e = s.table.find(key, h)) drop(s, e);
}

std::size_t ShardedLru::erase_if(const std::function<bool(std::string_view key)>& doomed) {
    std::size_t erased = 0;
    for (auto& s : shards_) {
        std::vector<std::string> keys;
        {
            std::shared_lock lock(s->mutex);
            keys.reserve(s->table.size());
            for (const CacheEntry* e = s->table.newest(); e != nullptr; e = e->older)
                keys.emplace_back(e->key());
        }
        std::erase_if(keys, [&](const std::string& k) { return !doomed(k); });
        for (const auto& k : keys) erase(k);
        erased += keys.size();
    }
    return erased;
}

void ShardedLru::for_each(
    const std::function<void(std::string_view, std::span<const uint8_t>, uint32_t)>& visit) const {
    for (const auto& s : shards_) {
        std::shared_lock lock(s->mutex);
        for (const CacheEntry* e = s->table.oldest(); e != nullptr; e = e->newer)
            visit(e->key(), e->value(), e->expires_at);
    }
}

void ShardedLru::clear() {
    for (auto& s : shards_) {
        std::unique_lock lock(s->mutex);
        s->table.clear();
        s->bytes = 0;
    }
}

void ShardedLru::set_capacity(std::size_t max_bytes) {
    max_bytes_.store(max_bytes, std::memory_order_relaxed);
    per_shard_limit_.store(max_bytes / shards_.size(), std::memory_order_relaxed);
    for (auto& s : shards_) {
        std::unique_lock lock(s->mutex);
        evict_to_fit(*s);
    }
}

std::size_t ShardedLru::bytes() const {
    std::size_t total = 0;
    for (auto& s : shards_) {
        std::shared_lock lock(s->mutex);
        total += s->bytes;
    }
    return total;
}

std::size_t ShardedLru::entries() const {
    std::size_t total = 0;
    for (auto& s : shards_) {
        std::shared_lock lock(s->mutex);
        total += s->table.size();
    }
    return total;
}

}  // namespace port53::cache
