#include "cache/entry_table.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

namespace port53::cache {

void EntryTable::Free::operator()(CacheEntry* e) const {
    e->~CacheEntry();
    ::operator delete(e);
}

// The header, key and value in one block: a variable-sized object, so it is built in place
// in raw storage and owned from then on by an Owned (whose deleter undoes both steps).
EntryTable::Owned EntryTable::make(std::string_view key, uint32_t hash,
                                   std::span<const uint8_t> value, uint32_t expires_at) {
    if (key.size() > std::numeric_limits<uint16_t>::max() ||
        value.size() > std::numeric_limits<uint32_t>::max())
        throw std::length_error("cache entry too long");
    void* raw = ::operator new(sizeof(CacheEntry) + key.size() + value.size());
    Owned e(new (raw) CacheEntry(hash, static_cast<uint16_t>(key.size()),
                                 static_cast<uint32_t>(value.size()), expires_at));
    if (!key.empty()) std::memcpy(reinterpret_cast<char*>(e.get() + 1), key.data(), key.size());
    if (!value.empty()) std::memcpy(e->value_data(), value.data(), value.size());
    return e;
}

CacheEntry* EntryTable::find(std::string_view key, std::size_t hash) const {
    if (slots_.empty()) return nullptr;
    const auto h = static_cast<uint32_t>(hash);
    // At most 3/4 of the slots are used, so an empty one ends every probe.
    for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
        CacheEntry* e = slots_[i].get();
        if (e == nullptr) return nullptr;
        if (e->hash == h && e->key() == key) return e;
    }
}

std::size_t EntryTable::slot_of(const CacheEntry* e) const {
    std::size_t i = e->hash & mask();
    while (slots_[i].get() != e) i = (i + 1) & mask();
    return i;
}

void EntryTable::grow() {
    std::vector<Owned> old(std::max<std::size_t>(16, slots_.size() * 2));
    old.swap(slots_);
    for (auto& e : old) {
        if (!e) continue;
        std::size_t i = e->hash & mask();
        while (slots_[i]) i = (i + 1) & mask();
        slots_[i] = std::move(e);
    }
}

CacheEntry* EntryTable::insert(std::string_view key, std::size_t hash,
                               std::span<const uint8_t> value, uint32_t expires_at) {
    Owned e = make(key, static_cast<uint32_t>(hash), value, expires_at);
    if ((count_ + 1) * 4 > slots_.size() * 3) grow();
    std::size_t i = e->hash & mask();
    while (slots_[i]) i = (i + 1) & mask();
    slots_[i] = std::move(e);
    ++count_;
    link_front(slots_[i].get());
    return slots_[i].get();
}

CacheEntry* EntryTable::replace(CacheEntry* e, std::span<const uint8_t> value,
                                uint32_t expires_at) {
    e->claimed.store(false, std::memory_order_relaxed);
    if (value.size() == e->value_len) {
        if (!value.empty()) std::memcpy(e->value_data(), value.data(), value.size());
        e->expires_at = expires_at;
        move_to_front(e);
        return e;
    }
    Owned next = make(e->key(), e->hash, value, expires_at);
    next->referenced.store(e->referenced.load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
    std::size_t i = slot_of(e);
    unlink(e);
    slots_[i] = std::move(next);  // frees the old entry
    link_front(slots_[i].get());
    return slots_[i].get();
}

void EntryTable::erase(CacheEntry* e) {
    std::size_t hole = slot_of(e);
    unlink(e);
    slots_[hole].reset();
    --count_;
    // Backward shift (Knuth 6.4, algorithm R): an entry after the hole moves into it unless
    // its home slot lies cyclically in (hole, j], where a probe from home would not pass
    // the hole. Every probe then still reaches its key before an empty slot.
    for (std::size_t j = (hole + 1) & mask(); slots_[j]; j = (j + 1) & mask()) {
        std::size_t home = slots_[j]->hash & mask();
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            slots_[hole] = std::move(slots_[j]);
            hole = j;
        }
    }
}

void EntryTable::clear() {
    newest_ = oldest_ = nullptr;
    count_ = 0;
    std::vector<Owned>().swap(slots_);
}

void EntryTable::link_front(CacheEntry* e) {
    e->newer = nullptr;
    e->older = newest_;
    if (newest_ != nullptr)
        newest_->newer = e;
    else
        oldest_ = e;
    newest_ = e;
}

void EntryTable::unlink(CacheEntry* e) {
    (e->newer != nullptr ? e->newer->older : newest_) = e->older;
    (e->older != nullptr ? e->older->newer : oldest_) = e->newer;
}

void EntryTable::move_to_front(CacheEntry* e) {
    if (newest_ == e) return;
    unlink(e);
    link_front(e);
}

}  // namespace port53::cache
