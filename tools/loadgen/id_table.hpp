// The queries in flight on one socket or connection, by DNS ID: which query of the file
// each ID carries and when it was sent. IDs start in a random order and are reused first
// in, first out (a late answer is unlikely to meet its ID carrying another query), and
// only after their answer or timeout.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace port53::loadgen {

class IdTable {
  public:
    struct Entry {
        uint64_t sent_ns = 0;
        uint32_t query = 0;
        uint32_t generation = 0;  // odd while in flight; stale timeout records differ
        bool busy() const { return generation & 1; }
    };

    // `max_outstanding`: how many this table will have in flight at most (sizes the
    // timeout ring; more still works, with more compaction).
    IdTable(uint32_t seed, std::size_t max_outstanding);

    std::size_t outstanding() const { return outstanding_; }
    // A free ID now carrying `query`, sent at `now_ns`; nullopt if all 65536 are in flight.
    std::optional<uint16_t> acquire(uint32_t query, uint64_t now_ns);
    // The entry for a response's ID if that ID is in flight, else nullptr (late or stray).
    const Entry* find(uint16_t id) const { return slots_[id].busy() ? &slots_[id] : nullptr; }
    void release(uint16_t id);
    // Releases every ID sent before `deadline_ns` (oldest first) and returns how many.
    std::size_t expire(uint64_t deadline_ns);
    // Takes back the most recently acquired ID (a send that did not go out).
    void undo(uint16_t id);

  private:
    struct Sent {
        uint64_t sent_ns;
        uint32_t generation;
        uint16_t id;
    };
    bool live(const Sent& s) const { return slots_[s.id].generation == s.generation; }
    void compact();

    std::vector<Entry> slots_;
    // Free IDs, a ring: taken at free_head_, returned at free_head_ + free_count_.
    std::vector<uint16_t> free_;
    std::size_t free_head_ = 0;
    std::size_t free_count_ = 0;
    // Send order, for timeouts: records stay until they reach the front, stale ones (IDs
    // answered meanwhile) are skipped there; a full ring is compacted to its live records.
    std::vector<Sent> ring_;
    std::size_t ring_mask_ = 0;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;  // head_ == tail_: empty; both only grow
    std::size_t outstanding_ = 0;
};

}  // namespace port53::loadgen
