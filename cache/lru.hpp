// A sharded, memory-bounded map from byte-string keys to byte-string values with
// least-recently-used eviction, approximated CLOCK-style: a hit only sets a "referenced"
// bit, so lookups take their shard's lock shared and workers reading the same hot entries
// never wait for each other; eviction gives referenced entries a second chance.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cache/entry_table.hpp"

namespace port53::cache {

class ShardedLru {
  public:
    // `max_bytes` bounds keys + values + per-entry bookkeeping over all shards.
    ShardedLru(std::size_t max_bytes, std::size_t shards);

    // Calls visit(value, expires_at) or visit(value, expires_at, claimed) under the shard's
    // shared lock if the key is present and marks the entry used. Other readers may run at
    // the same time, so the value is read-only; `claimed` is the entry's one flag for its
    // owner (e.g. "a prefetch was started"): false when the value is stored, set atomically
    // so that one reader wins it. Returns what visit returned, or false on a miss. No
    // allocation.
    template <typename Visit>
    bool visit(std::string_view key, Visit&& visit) {
        const std::size_t h = hash(key);
        Shard& s = shard_for(h);
        std::shared_lock lock(s.mutex);
        CacheEntry* e = s.table.find(key, h);
        if (e == nullptr) return false;
        if (!e->referenced.load(std::memory_order_relaxed))
            e->referenced.store(true, std::memory_order_relaxed);
        if constexpr (std::is_invocable_v<Visit, std::span<const uint8_t>, uint32_t,
                                          std::atomic<bool>&>)
            return visit(e->value(), e->expires_at, e->claimed);
        else
            return visit(e->value(), e->expires_at);
    }

    // Inserts or replaces. If `replace_if` is given it is asked, under the lock, whether an
    // existing entry (its value and expiry) may be replaced.
    using ReplacePolicy = std::function<bool(std::span<const uint8_t>, uint32_t)>;
    void insert(std::string_view key, std::span<const uint8_t> value, uint32_t expires_at,
                const ReplacePolicy& replace_if = nullptr);
    void erase(std::string_view key);
    // Erases every entry whose key `doomed` says so, one shard at a time; `doomed` is asked
    // outside the shard's lock (about a copy of its keys), so readers are held up only for
    // the copy and the erasures. Returns how many went.
    std::size_t erase_if(const std::function<bool(std::string_view key)>& doomed);
    void clear();
    // Calls visit(key, value, expires_at) for every entry, one shard at a time under its
    // shared lock, least recently used first: inserting what it sees in that order into an
    // empty cache keeps the same entries, should they not all fit. `visit` must be quick
    // (readers of the shard are not held up, its writers are).
    void for_each(const std::function<void(std::string_view key, std::span<const uint8_t> value,
                                           uint32_t expires_at)>& visit) const;
    // A reload (daemon/reload.hpp) gives a new bound: a smaller one evicts, shard by shard,
    // until every shard fits (CLOCK order, as an insert would).
    void set_capacity(std::size_t max_bytes);

    std::size_t bytes() const;
    std::size_t entries() const;
    // Entries dropped to make room (not those expired, replaced or erased), all shards.
    uint64_t evictions() const;
    std::size_t max_bytes() const { return max_bytes_.load(std::memory_order_relaxed); }

    // Bookkeeping charged per entry on top of key and value (cache/entry_table.hpp).
    static constexpr std::size_t kEntryOverhead = EntryTable::kOverhead;

  private:
    struct Shard {
        std::shared_mutex mutex;
        EntryTable table;
        std::size_t bytes = 0;
        // Written under the shard's exclusive lock only, read by scrapes without it.
        std::atomic<uint64_t> evictions{0};
    };
    static std::size_t hash(std::string_view key) { return std::hash<std::string_view>{}(key); }
    // High bits pick the shard; the table inside uses the low 32.
    Shard& shard_for(std::size_t hash) { return *shards_[(hash >> 40) & (shards_.size() - 1)]; }
    void evict_to_fit(Shard& s);
    static void drop(Shard& s, CacheEntry* e);

    // Read under a shard's lock, written by set_capacity: atomics, relaxed (a shard is
    // trimmed under its lock after the store).
    std::atomic<std::size_t> max_bytes_;
    std::atomic<std::size_t> per_shard_limit_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace port53::cache
