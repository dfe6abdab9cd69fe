// What every sender thread shares: the settings, the queries and the feed that hands out
// the next queries of the file (so that -n passes are exact across threads).
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace port53::loadgen {

enum class Transport { udp, tcp, dot };

struct Config {
    Transport transport = Transport::udp;
    sockaddr_storage server{};
    socklen_t server_len = 0;
    sockaddr_storage local{};  // ss_family 0: let the kernel choose
    socklen_t local_len = 0;
    unsigned clients = 16;                // -c: sockets (UDP) or connections (TCP, DoT)
    unsigned threads = 1;                 // -T
    unsigned outstanding = 100;           // -q: per socket or connection
    uint64_t rate = 0;                    // -Q: queries/s over all threads; 0 = as fast as possible
    double seconds = 0;                   // -l: 0 = no time bound
    uint64_t passes = 0;                  // -n: 0 = no bound on passes
    uint64_t timeout_ns = 5'000'000'000;  // -t
    std::string ca_file;                  // --ca: verify the DoT server's certificate
    std::string sni;                      // --sni: server name sent in DoT's ClientHello
};

inline uint64_t now_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

// Hands out query numbers 0, 1, 2, ... (query i is i modulo the file's size) until the
// passes are done or the time is up.
class QueryFeed {
  public:
    QueryFeed(uint64_t file_size, uint64_t passes, uint64_t deadline_ns)
        : file_size_(file_size),
          limit_(passes ? passes * file_size : UINT64_MAX),
          deadline_ns_(deadline_ns) {}

    // Up to `want` query numbers from *first on; returns how many (0: no more to send).
    uint64_t take(uint64_t want, uint64_t now, uint64_t& first) {
        if (now >= deadline_ns_ || want == 0) return 0;
        first = next_.fetch_add(want, std::memory_order_relaxed);
        if (first >= limit_) return 0;
        return std::min(want, limit_ - first);
    }
    bool expired(uint64_t now) const { return now >= deadline_ns_; }
    bool done(uint64_t now) const {
        return now >= deadline_ns_ || next_.load(std::memory_order_relaxed) >= limit_;
    }
    uint32_t query_of(uint64_t n) const { return static_cast<uint32_t>(n % file_size_); }

  private:
    uint64_t file_size_;
    uint64_t limit_;
    uint64_t deadline_ns_;
    std::atomic<uint64_t> next_{0};
};

// The rate limit of one thread: queries it may send by `now` minus those it sent.
class RateGate {
  public:
    RateGate(uint64_t rate_per_s, uint64_t start_ns) : rate_(rate_per_s), start_(start_ns) {}
    uint64_t budget(uint64_t now, uint64_t sent) const {
        if (rate_ == 0) return UINT64_MAX;
        auto due = static_cast<uint64_t>(static_cast<unsigned __int128>(now - start_) * rate_ /
                                         1'000'000'000u) +
                   1;
        return due > sent ? due - sent : 0;
    }
    // Nanoseconds until the next query is due (0 if unlimited).
    uint64_t wait_ns(uint64_t now, uint64_t sent) const {
        if (rate_ == 0) return 0;
        uint64_t at = start_ + static_cast<uint64_t>(static_cast<unsigned __int128>(sent) *
                                                     1'000'000'000u / rate_);
        return at > now ? at - now : 0;
    }

  private:
    uint64_t rate_;
    uint64_t start_;
};

}  // namespace port53::loadgen
