// Per-worker counters (DESIGN.md "Counting without slowing the hot path"): each thread that
// counts owns one block, aligned to cache lines, and is the only one to write it; /metrics
// and `port53-ctl stats` sum the blocks when asked. No lock and no read-modify-write
// instruction on the hot path: a count is a relaxed load and a relaxed store of the owner's
// own word (plain `mov`s on x86-64), which a scraping thread may read at any time.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace port53::base {

// A figure one thread writes and any thread may read.
class OwnCounter {
  public:
    void add(uint64_t n = 1) {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> v_{0};
};

enum class Transport : uint8_t { udp, tcp, dot, doh };
constexpr std::size_t kTransports = 4;

// Question types counted apart (the common ones); the rest share the last slot.
constexpr std::size_t kQtypeSlots = 14;
// RFC 1035 §4.1.1 rcodes 0-15 (the header's four bits).
constexpr std::size_t kRcodes = 16;
// RFC 8914 info-codes 0-30 (IANA's registry today); higher ones share the last slot.
constexpr std::size_t kEdeSlots = 31;

// proxy: a PROXY v2 header missing, malformed or from a sender not trusted (issue 15).
enum class Refusal : uint8_t { acl, rate_limit, connection_cap, tunnel, overload, proxy };
constexpr std::size_t kRefusals = 6;

enum class Validation : uint8_t { secure, insecure, bogus, indeterminate };
constexpr std::size_t kValidations = 4;

// Upper bounds of the upstream response-time histogram, microseconds.
constexpr std::array<uint64_t, 12> kRttBoundsUs{500,     1'000,   2'000,     5'000,
                                                10'000,  20'000,  50'000,    100'000,
                                                200'000, 500'000, 1'000'000, 2'000'000};

enum class Handshake : uint8_t { ok, failed };

// The second-level cache (Redis): lookups by result (invalid: a value that does not parse or
// does not fit the question; rejected: parsed but not validated again as secure or insecure),
// then writes sent and dropped (too many waiting, or no connection).
enum class Shared : uint8_t { hit, miss, timeout, error, invalid, rejected, written, dropped };
constexpr std::size_t kSharedResults = 8;

struct alignas(64) CounterBlock {
    std::array<OwnCounter, kTransports> queries;      // by the transport they came over
    std::array<OwnCounter, kQtypeSlots + 1> qtypes;   // see qtype_slot()
    std::array<OwnCounter, kRcodes> rcodes;           // answers sent, by rcode
    std::array<OwnCounter, kEdeSlots + 1> ede;        // answers with an EDE, by info-code
    OwnCounter cache_hits, cache_misses;              // the answer cache
    std::array<OwnCounter, kRefusals> refused;        // queries/connections refused or dropped
    OwnCounter rate_limit_slips;                      // RRL answers cut to TC instead
    std::array<OwnCounter, kTransports> connections;  // stream connections accepted (not udp)
    std::array<OwnCounter, 2> tls_handshakes;         // by Handshake
    OwnCounter upstream_queries, upstream_timeouts, upstream_tcp_fallbacks;
    std::array<OwnCounter, kRttBoundsUs.size() + 1> rtt;  // per bucket (not cumulative); last +Inf
    OwnCounter rtt_sum_us;
    std::array<OwnCounter, kValidations> validation;  // resolutions, by their answer's status
    std::array<OwnCounter, kSharedResults> shared;    // the second-level cache, by Shared

    void query(Transport t) { queries[static_cast<std::size_t>(t)].add(); }
    void qtype(uint16_t t) { qtypes[qtype_slot(t)].add(); }
    void rcode(uint8_t rc) { rcodes[rc & 0xF].add(); }
    void extended_error(uint16_t code) { ede[code < kEdeSlots ? code : kEdeSlots].add(); }
    void refusal(Refusal r) { refused[static_cast<std::size_t>(r)].add(); }
    void connection(Transport t) { connections[static_cast<std::size_t>(t)].add(); }
    void handshake(Handshake h) { tls_handshakes[static_cast<std::size_t>(h)].add(); }
    void upstream_rtt(uint64_t us);
    void validated(Validation v) { validation[static_cast<std::size_t>(v)].add(); }
    void second_level(Shared s) { shared[static_cast<std::size_t>(s)].add(); }

    // The slot of a question type; kQtypeSlots for "other". A table: the hot path asks.
    static std::size_t qtype_slot(uint16_t t) { return t < 256 ? kQtypeTable[t] : kQtypeSlots; }
    static const std::array<uint8_t, 256> kQtypeTable;
};

// Plain sums of every block's figures (same layout, no atomics), for rendering.
struct CounterTotals {
    std::array<uint64_t, kTransports> queries{};
    std::array<uint64_t, kQtypeSlots + 1> qtypes{};
    std::array<uint64_t, kRcodes> rcodes{};
    std::array<uint64_t, kEdeSlots + 1> ede{};
    uint64_t cache_hits = 0, cache_misses = 0;
    std::array<uint64_t, kRefusals> refused{};
    uint64_t rate_limit_slips = 0;
    std::array<uint64_t, kTransports> connections{};
    std::array<uint64_t, 2> tls_handshakes{};
    uint64_t upstream_queries = 0, upstream_timeouts = 0, upstream_tcp_fallbacks = 0;
    std::array<uint64_t, kRttBoundsUs.size() + 1> rtt{};
    uint64_t rtt_sum_us = 0;
    std::array<uint64_t, kValidations> validation{};
    std::array<uint64_t, kSharedResults> shared{};

    void add(const CounterBlock& b);
    uint64_t total_queries() const;
};

// The names the figures are shown under: qtype slots ("A" ... "other"), transports,
// refusal reasons, validation outcomes.
const char* qtype_name(std::size_t slot);
const char* transport_name(Transport t);
const char* refusal_name(Refusal r);
const char* validation_name(Validation v);
const char* shared_name(Shared s);

// Every block ever handed out; blocks live as long as the registry, so counts of threads
// that have ended still add up.
class CounterRegistry {
  public:
    // A block for worker `worker` (its load is shown apart), or for another thread (-1).
    CounterBlock& add_block(int worker = -1);
    CounterTotals totals() const;
    // Queries per worker, by worker number, for the blocks of workers.
    std::vector<std::pair<int, uint64_t>> per_worker() const;

  private:
    mutable std::mutex mutex_;  // taken to add a block or read the list, never to count
    std::vector<std::pair<int, std::unique_ptr<CounterBlock>>> blocks_;
};

// The process's registry, and this thread's block in it.
CounterRegistry& counter_registry();
CounterBlock& register_counting_thread(int worker);
inline thread_local CounterBlock* t_counters = nullptr;
// This thread's block (added on first use, for threads that are not workers).
inline CounterBlock& counters() {
    CounterBlock* c = t_counters;
    if (c == nullptr) [[unlikely]]
        c = &register_counting_thread(-1);
    return *c;
}
// Called by worker `index` when its thread starts: its own block, shown under its number.
inline void bind_worker_counters(int index) {
    register_counting_thread(index);
}

}  // namespace port53::base
