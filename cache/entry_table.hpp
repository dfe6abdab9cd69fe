// One shard's entries for ShardedLru (cache/lru.hpp). Each entry is a single allocation
// (header, key bytes, value bytes) owned by an open-addressing hash table (linear probing,
// backward-shift deletion: no tombstones) and threaded on an intrusive list in CLOCK order.
// Why (issue 13, memory per cached name): a std::list node holding a std::string and a
// std::vector, indexed by a std::unordered_map, took five allocations and about 220 bytes of
// bookkeeping per entry; this takes one allocation and about 50. Not thread-safe: ShardedLru
// locks around it.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace port53::cache {

struct CacheEntry {
    CacheEntry(uint32_t hash, uint16_t key_len, uint32_t value_len, uint32_t expires)
        : expires_at(expires), hash(hash), value_len(value_len), key_len(key_len) {}
    CacheEntry* newer = nullptr;  // CLOCK list: towards the front (newest or second-chanced)
    CacheEntry* older = nullptr;  // towards the back, where eviction looks
    uint32_t expires_at;
    const uint32_t hash;  // the key's hash, low 32 bits: its home slot and a quick compare
    const uint32_t value_len;
    const uint16_t key_len;
    std::atomic<bool> referenced{false};  // used since it last came round the clock
    std::atomic<bool> claimed{false};     // the owner's one flag (ShardedLru::visit)

    // The key and value follow the header in the same allocation.
    std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }
    std::span<const uint8_t> value() const {
        return {reinterpret_cast<const uint8_t*>(this + 1) + key_len, value_len};
    }
    uint8_t* value_data() { return reinterpret_cast<uint8_t*>(this + 1) + key_len; }
};

class EntryTable {
  public:
    // What an entry costs beyond its key and value: the header, the allocator's own header
    // and rounding, and its share of the slot array (a pointer at a load of 3/8 to 3/4).
    static constexpr std::size_t kOverhead = sizeof(CacheEntry) + 24;
    static std::size_t charge(const CacheEntry& e) { return kOverhead + e.key_len + e.value_len; }

    EntryTable() = default;
    EntryTable(const EntryTable&) = delete;
    EntryTable& operator=(const EntryTable&) = delete;

    CacheEntry* find(std::string_view key, std::size_t hash) const;
    // A new entry for a key not in the table, at the front of the list. Keys are DNS names
    // and a few bytes: longer than 65535 bytes throws std::length_error.
    CacheEntry* insert(std::string_view key, std::size_t hash, std::span<const uint8_t> value,
                       uint32_t expires_at);
    // A new value for `e` (in place when it has the same size), moved to the front; returns
    // the entry, which may have moved. `claimed` is cleared: the flag was about the old value.
    CacheEntry* replace(CacheEntry* e, std::span<const uint8_t> value, uint32_t expires_at);
    void erase(CacheEntry* e);
    void move_to_front(CacheEntry* e);
    void clear();

    CacheEntry* newest() const { return newest_; }
    CacheEntry* oldest() const { return oldest_; }
    std::size_t size() const { return count_; }

  private:
    struct Free {
        void operator()(CacheEntry* e) const;
    };
    using Owned = std::unique_ptr<CacheEntry, Free>;
    static Owned make(std::string_view key, uint32_t hash, std::span<const uint8_t> value,
                      uint32_t expires_at);
    std::size_t mask() const { return slots_.size() - 1; }
    std::size_t slot_of(const CacheEntry* e) const;
    void grow();
    void link_front(CacheEntry* e);
    void unlink(CacheEntry* e);

    std::vector<Owned> slots_;  // a power of two in size, or empty
    std::size_t count_ = 0;
    CacheEntry* newest_ = nullptr;
    CacheEntry* oldest_ = nullptr;
};

}  // namespace port53::cache
