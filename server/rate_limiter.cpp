#include "server/rate_limiter.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <functional>
#include <string_view>

namespace port53::server {
namespace {
constexpr std::size_t kShards = 16;

void mask(uint8_t* bytes, std::size_t len, uint8_t bits) {
    for (std::size_t i = 0; i < len; ++i) {
        int keep = std::clamp(static_cast<int>(bits) - static_cast<int>(i * 8), 0, 8);
        bytes[i] &= static_cast<uint8_t>(0xFF00 >> keep);
    }
}
}  // namespace

RateLimiter::RateLimiter(RateLimitSettings s) : s_(s) {
    for (std::size_t i = 0; i < kShards; ++i) {
        shards_.push_back(std::make_unique<Shard>());
        shards_.back()->slots.resize(std::max<std::size_t>(1, s.slots / kShards));
    }
}

uint64_t RateLimiter::coarse_now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1'000'000;
}

bool RateLimiter::key_of(const sockaddr* sa, Key& key) const {
    key.fill(0);
    if (!sa) return false;
    if (sa->sa_family == AF_INET) {
        std::memcpy(key.data(), &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
        mask(key.data(), 4, s_.ipv4_prefix);
        key[16] = 4;
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        std::memcpy(key.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
        mask(key.data(), 16, s_.ipv6_prefix);
        key[16] = 6;
        return true;
    }
    return false;
}

template <typename F>
auto RateLimiter::with_bucket(const sockaddr* client, uint64_t now_ms, F&& f) {
    Key key;
    bool known = key_of(client, key);
    std::size_t h = std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    Shard& shard = *shards_[h % kShards];
    std::lock_guard lock(shard.mutex);
    Bucket& b = shard.slots[(h / kShards) % shard.slots.size()];
    if (b.key != key || b.last_ms == 0) {  // a new prefix (or a collision) starts full
        b = Bucket{key, double(s_.queries_per_second), double(s_.responses_per_second), now_ms, 0};
    }
    // Refill: `rate` tokens a second, at most one second's worth banked.
    double elapsed = static_cast<double>(now_ms - std::min(now_ms, b.last_ms)) / 1000.0;
    b.queries =
        std::min<double>(s_.queries_per_second, b.queries + elapsed * s_.queries_per_second);
    b.responses =
        std::min<double>(s_.responses_per_second, b.responses + elapsed * s_.responses_per_second);
    b.last_ms = now_ms;
    return f(b, known);
}

bool RateLimiter::query_allowed(const sockaddr* client, uint64_t now_ms) {
    if (!s_.queries_per_second) return true;
    bool ok = with_bucket(client, now_ms, [](Bucket& b, bool known) {
        if (!known || b.queries >= 1.0) {
            b.queries -= known ? 1.0 : 0.0;
            return true;
        }
        return false;
    });
    if (!ok) limited_.fetch_add(1, std::memory_order_relaxed);
    return ok;
}

RateLimiter::Verdict RateLimiter::response_allowed(const sockaddr* client, uint64_t now_ms) {
    if (!s_.responses_per_second) return Verdict::pass;
    Verdict v = with_bucket(client, now_ms, [&](Bucket& b, bool known) {
        if (!known || b.responses >= 1.0) {
            b.responses -= known ? 1.0 : 0.0;
            return Verdict::pass;
        }
        return (s_.slip && ++b.slip_count % s_.slip == 0) ? Verdict::slip : Verdict::drop;
    });
    if (v != Verdict::pass) limited_.fetch_add(1, std::memory_order_relaxed);
    return v;
}

}  // namespace port53::server
