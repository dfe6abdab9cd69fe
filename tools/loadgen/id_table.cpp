#include "tools/loadgen/id_table.hpp"

#include <algorithm>
#include <bit>
#include <numeric>
#include <random>

namespace port53::loadgen {

namespace {
constexpr std::size_t kIds = 65536;
}  // namespace

IdTable::IdTable(uint32_t seed, std::size_t max_outstanding)
    : slots_(kIds), free_(kIds), free_count_(kIds) {
    std::iota(free_.begin(), free_.end(), uint16_t{0});
    std::mt19937 rng(seed);
    std::shuffle(free_.begin(), free_.end(), rng);
    // Four times the records that can be live: a compaction frees at least three quarters.
    std::size_t ring = std::bit_ceil(std::clamp<std::size_t>(4 * max_outstanding, 1024, 4 * kIds));
    ring_.resize(ring);
    ring_mask_ = ring - 1;
}

std::optional<uint16_t> IdTable::acquire(uint32_t query, uint64_t now_ns) {
    if (free_count_ == 0) return std::nullopt;
    uint16_t id = free_[free_head_];
    free_head_ = (free_head_ + 1) % kIds;
    --free_count_;
    Entry& e = slots_[id];
    ++e.generation;  // odd: in flight
    e.query = query;
    e.sent_ns = now_ns;
    if (tail_ - head_ == ring_.size()) compact();
    if (tail_ - head_ == ring_.size()) {
        // All live (more in flight than the ring was sized for): grow it, in send order.
        std::vector<Sent> bigger(ring_.size() * 2);
        for (std::size_t i = head_; i != tail_; ++i) bigger[i - head_] = ring_[i & ring_mask_];
        tail_ -= head_;
        head_ = 0;
        ring_.swap(bigger);
        ring_mask_ = ring_.size() - 1;
    }
    ring_[tail_ & ring_mask_] = {now_ns, e.generation, id};
    ++tail_;
    ++outstanding_;
    return id;
}

// Keeps only the live records, in send order.
void IdTable::compact() {
    std::size_t w = head_;
    for (std::size_t r = head_; r != tail_; ++r) {
        const Sent s = ring_[r & ring_mask_];
        if (live(s)) {
            ring_[w & ring_mask_] = s;
            ++w;
        }
    }
    tail_ = w;
}

void IdTable::release(uint16_t id) {
    Entry& e = slots_[id];
    if (!e.busy()) return;
    ++e.generation;  // even: free
    free_[(free_head_ + free_count_) % kIds] = id;
    ++free_count_;
    --outstanding_;
}

void IdTable::undo(uint16_t id) {
    // The ring's last record is this ID's: take it back with the ID.
    if (tail_ != head_ && ring_[(tail_ - 1) & ring_mask_].id == id) --tail_;
    release(id);
}

std::size_t IdTable::expire(uint64_t deadline_ns) {
    std::size_t n = 0;
    while (tail_ != head_) {
        const Sent& s = ring_[head_ & ring_mask_];
        bool is_live = live(s);
        if (is_live && s.sent_ns >= deadline_ns) break;
        ++head_;
        if (is_live) {
            release(s.id);
            ++n;
        }
    }
    return n;
}

}  // namespace port53::loadgen
