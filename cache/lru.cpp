#include "cache/lru.hpp"

#include <bit>

namespace port53::cache {

ShardedLru::ShardedLru(std::size_t max_bytes, std::size_t shards) : max_bytes_(max_bytes) {
    std::size_t n = std::bit_ceil(shards < 1 ? std::size_t{1} : shards);
    per_shard_limit_.store(max_bytes / n, std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

ShardedLru::Shard& ShardedLru::shard_for(std::string_view key) {
    // High bits pick the shard; the map inside uses the same hash, mostly its low bits.
    std::size_t h = std::hash<std::string_view>{}(key);
    return *shards_[(h >> 40) & (shards_.size() - 1)];
}

void ShardedLru::evict_to_fit(Shard& s) {
    // CLOCK: an entry used since it was last looked at goes round once more. Every entry
    // can be spared at most once per call, so this ends.
    std::size_t spared = 0;
    const std::size_t limit = per_shard_limit_.load(std::memory_order_relaxed);
    while (s.bytes > limit && !s.order.empty()) {
        Entry& victim = s.order.back();
        if (victim.referenced.load(std::memory_order_relaxed) && spared < s.index.size()) {
            victim.referenced.store(false, std::memory_order_relaxed);
            s.order.splice(s.order.begin(), s.order, std::prev(s.order.end()));
            ++spared;
            continue;
        }
        s.bytes -= victim.charge();
        s.index.erase(victim.key);
        s.order.pop_back();
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
    Shard& s = shard_for(key);
    std::unique_lock lock(s.mutex);
    if (auto it = s.index.find(key); it != s.index.end()) {
        Entry& e = *it->second;
        if (replace_if && !replace_if(std::span<const uint8_t>(e.value), e.expires_at)) return;
        s.bytes -= e.charge();
        e.value.assign(value.begin(), value.end());
        e.expires_at = expires_at;
        e.claimed.store(false, std::memory_order_relaxed);  // the flag was about the old value
        s.bytes += e.charge();
        s.order.splice(s.order.begin(), s.order, it->second);
    } else {
        s.order.emplace_front(std::string(key), std::vector<uint8_t>(value.begin(), value.end()),
                              expires_at);
        Entry& e = s.order.front();
        s.index.emplace(e.key, s.order.begin());
        s.bytes += e.charge();
    }
    evict_to_fit(s);
}

void ShardedLru::erase(std::string_view key) {
    Shard& s = shard_for(key);
    std::unique_lock lock(s.mutex);
    if (auto it = s.index.find(key); it != s.index.end()) {
        s.bytes -= it->second->charge();
        auto node = it->second;
        s.index.erase(it);
        s.order.erase(node);
    }
}

std::size_t ShardedLru::erase_if(const std::function<bool(std::string_view key)>& doomed) {
    std::size_t erased = 0;
    for (auto& s : shards_) {
        std::vector<std::string> keys;
        {
            std::shared_lock lock(s->mutex);
            keys.reserve(s->index.size());
            for (const auto& e : s->order) keys.push_back(e.key);
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
        for (auto it = s->order.rbegin(); it != s->order.rend(); ++it)
            visit(it->key, std::span<const uint8_t>(it->value), it->expires_at);
    }
}

void ShardedLru::clear() {
    for (auto& s : shards_) {
        std::unique_lock lock(s->mutex);
        s->index.clear();
        s->order.clear();
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
        total += s->index.size();
    }
    return total;
}

}  // namespace port53::cache
