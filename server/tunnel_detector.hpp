// Spotting DNS tunnelling and exfiltration (issue 5): per client, names with long
// high-entropy labels, bursts of unique names under one domain, and heavy TXT/NULL use.
// Only cache misses are inspected — tunnels never hit the cache — so the hot path pays
// nothing. Suspicious queries are logged and counted, and refused under configured domains.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "wire/name.hpp"
#include "wire/query_view.hpp"

namespace port53::server {

struct TunnelSettings {
    bool enabled = true;
    std::size_t long_label = 32;      // labels at least this long are checked for entropy
    double entropy_bits = 4.0;        // Shannon bits per character that look like encoded data
    uint32_t unique_names = 200;      // cache misses under one domain per client per window
    uint32_t txt_null_queries = 200;  // TXT/NULL misses per client per window
    uint32_t window_seconds = 60;
    std::vector<wire::Name> refuse_domains;  // suspicious queries under these get REFUSED
    std::size_t max_clients = 10'000;
    bool operator==(const TunnelSettings&) const = default;
};

class TunnelDetector {
  public:
    explicit TunnelDetector(TunnelSettings s) : s_(std::move(s)) {}

    enum class Reason { none, high_entropy_label, unique_name_burst, txt_null_heavy };
    struct Finding {
        Reason reason = Reason::none;
        bool refuse = false;
    };
    Finding inspect(const sockaddr* client, const wire::QueryView& q, uint32_t now);

    uint64_t flagged() const { return flagged_.load(std::memory_order_relaxed); }
    uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
    static const char* describe(Reason r);

  private:
    struct ClientState {
        uint32_t window_start = 0;
        uint32_t txt_null = 0;
        std::unordered_map<std::string, uint32_t> per_domain;  // base domain key → misses
        uint32_t logged_until = 0;
    };
    Reason classify(ClientState& c, const wire::QueryView& q, const std::string& base);

    TunnelSettings s_;
    std::mutex mutex_;
    std::unordered_map<std::string, ClientState> clients_;
    std::atomic<uint64_t> flagged_{0}, refused_{0};
};

// Shannon entropy of a label in bits per character.
double label_entropy(std::string_view label);

}  // namespace port53::server
