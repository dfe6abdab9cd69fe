// Per-client-prefix rate limits on UDP (issue 5): a cap on queries, and response rate
// limiting (RRL) with "slip" — every Nth limited answer goes out truncated so real clients
// retry over TCP while spoofed floods get nothing useful. Fixed-size sharded table: no
// allocation per query, and a client prefix that collides simply takes the slot over.
#pragma once
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace port53::server {

struct RateLimitSettings {
    uint32_t queries_per_second = 0;    // per client prefix; 0: no cap
    uint32_t responses_per_second = 0;  // per client prefix; 0: no RRL
    uint32_t slip = 2;                  // every Nth limited response is sent truncated; 0: never
    uint8_t ipv4_prefix = 24;
    uint8_t ipv6_prefix = 56;
    std::size_t slots = 1 << 16;
    bool operator==(const RateLimitSettings&) const = default;
};

class RateLimiter {
  public:
    explicit RateLimiter(RateLimitSettings s);
    bool enabled() const { return s_.queries_per_second || s_.responses_per_second; }

    enum class Verdict { pass, drop, slip };
    bool query_allowed(const sockaddr* client, uint64_t now_ms);
    Verdict response_allowed(const sockaddr* client, uint64_t now_ms);
    uint64_t limited() const { return limited_.load(std::memory_order_relaxed); }

    static uint64_t coarse_now_ms();

  private:
    using Key = std::array<uint8_t, 17>;  // address bytes masked to the prefix, plus family
    struct Bucket {
        Key key{};
        double queries = 0, responses = 0;  // tokens
        uint64_t last_ms = 0;
        uint32_t slip_count = 0;
    };
    struct Shard {
        std::mutex mutex;
        std::vector<Bucket> slots;
    };
    bool key_of(const sockaddr* client, Key& key) const;
    template <typename F>
    auto with_bucket(const sockaddr* client, uint64_t now_ms, F&& f);

    RateLimitSettings s_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::atomic<uint64_t> limited_{0};
};

}  // namespace port53::server
