// Whole rendered answers keyed by question: what a cache hit copies out, touching nothing else.
// TTLs are rewritten from stored offsets so they count down; ID, RD/CD and the question's
// case come from the client's query.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "cache/lru.hpp"
#include "wire/query_view.hpp"
#include "wire/security.hpp"

namespace port53::cache {

// Key = lower-cased qname wire + qtype + qclass + DO/CD/AD bits, built on the stack, and
// for a view other than the default one (server/views.hpp) its number: every answer a
// view's clients get is kept apart, since only its own sources know which names it answers
// differently (a shared entry would reach its clients whenever its own one is missing).
struct AnswerKey {
    uint8_t buf[wire::kMaxNameWire + 6];
    std::size_t len = 0;
    explicit AnswerKey(const wire::QueryView& q, uint8_t view = 0);
    std::string_view view() const { return {reinterpret_cast<const char*>(buf), len}; }
};

// A rendered answer in the stored layout (see answer_cache.cpp), built once per resolution.
struct StoredAnswer {
    std::vector<uint8_t> blob;
    uint32_t ttl = 0;  // smallest TTL in it: how long it may be cached
};

// `message` is a complete response (no OPT) to the lower-cased question; `ttl_offsets` are
// the positions of every TTL field in it. Its AD bit and rcode are kept; `ede` (RFC 8914
// info-code, or ede::none) goes into the OPT of EDNS clients.
StoredAnswer make_stored_answer(std::span<const uint8_t> message,
                                std::span<const uint16_t> ttl_offsets, uint32_t now,
                                uint16_t ede = wire::ede::none);

struct ReplyLimits {
    std::size_t max_size;   // 512 / client's EDNS size capped by ours on UDP, 65535 on TCP
    uint16_t our_udp_size;  // advertised in our OPT
    std::span<const uint8_t> cookie = {};  // COOKIE option data for EDNS clients (RFC 7873)
};

// Serving expired data (RFC 8767): every TTL becomes `ttl` and EDE 3 (Stale Answer) is added.
struct StaleReply {
    uint32_t ttl = 30;
};

// Render the reply for `query` into `out`; returns its length (0 if `out` is too small).
std::size_t render_reply(std::span<const uint8_t> blob, const wire::QueryView& q,
                         std::span<const uint8_t> query, std::span<uint8_t> out,
                         const ReplyLimits& limits, uint32_t now,
                         const StaleReply* stale = nullptr);

class AnswerCache {
  public:
    AnswerCache(std::size_t max_bytes, std::size_t shards) : lru_(max_bytes, shards) {}

    void store(std::string_view key, const StoredAnswer& a, uint32_t now);
    void store(const AnswerKey& key, const StoredAnswer& a, uint32_t now) {
        store(key.view(), a, now);
    }
    void erase(std::string_view key) { lru_.erase(key); }
    // Renders the cached answer for `q` into `out`; 0 on a miss or an expired entry.
    // Sets `*refresh` (once per entry) when the entry is in the last tenth of its life,
    // so the caller can prefetch it before clients see a miss.
    std::size_t answer(const AnswerKey& key, const wire::QueryView& q,
                       std::span<const uint8_t> query, std::span<uint8_t> out,
                       const ReplyLimits& limits, uint32_t now, bool* refresh = nullptr);
    // An expired answer no older than `max_stale` seconds past expiry, rendered stale.
    std::size_t answer_stale(std::string_view key, const wire::QueryView& q,
                             std::span<const uint8_t> query, std::span<uint8_t> out,
                             const ReplyLimits& limits, uint32_t now, uint32_t max_stale,
                             const StaleReply& stale);

    std::size_t bytes() const { return lru_.bytes(); }
    std::size_t entries() const { return lru_.entries(); }
    uint64_t evictions() const { return lru_.evictions(); }
    void clear() { lru_.clear(); }
    // A smaller bound evicts at once (a reload, daemon/reload.hpp).
    void set_capacity(std::size_t max_bytes) { lru_.set_capacity(max_bytes); }
    std::size_t max_bytes() const { return lru_.max_bytes(); }
    // Forgets the answers to every name `doomed` says so (given its lower-cased wire form),
    // whatever the type and bits; returns how many went.
    std::size_t forget_names(const std::function<bool(std::string_view name_wire)>& doomed);

    // Persistence (cache/cache_persist.hpp): every answer as stored, with its expiry on this
    // cache's clock. The stored layout counts TTLs from the moment of storing on this clock,
    // which does not survive a restart: `portable` gives a copy counting from the wall-clock
    // Unix time instead, which `restore` takes back.
    void for_each(const std::function<void(std::string_view key, std::span<const uint8_t> value,
                                           uint32_t expires_at)>& visit) const {
        lru_.for_each(visit);
    }
    static std::vector<uint8_t> portable(std::span<const uint8_t> blob, uint32_t now,
                                         uint32_t unix_now);
    // Puts back what `portable` gave, from a file that may be damaged or foreign: the key and
    // answer are checked whole first (the answer must parse as a message, every TTL offset
    // inside it); false and nothing stored otherwise.
    bool restore(std::string_view key, std::span<const uint8_t> portable_blob, uint32_t expires_at,
                 uint32_t now, uint32_t unix_now);
    // The answers cached for a name (port53-ctl lookup).
    struct Held {
        uint16_t qtype = 0;
        uint8_t bits = 0;  // 1 DO, 2 CD, 4 AD asked
        uint8_t view = 0;
        uint8_t rcode = 0;
        bool ad = false;
        uint16_t ede = wire::ede::none;
        uint32_t ttl = 0;  // left
    };
    std::vector<Held> held(std::string_view name_key, uint32_t now) const;
    // The view number in a key (0: the default view, or not a key).
    static uint8_t view_of(std::string_view key);

  private:
    ShardedLru lru_;
};

}  // namespace port53::cache
