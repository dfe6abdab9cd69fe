// What the resolver knows about each authority address (like Unbound's infra cache):
// smoothed RTT and variance (RFC 6298 style), timeouts with back-off, EDNS support,
// and per-zone lameness. Shared by all workers; sharded, one mutex per shard.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "upstream/address.hpp"
#include "wire/name.hpp"

namespace port53::upstream {

struct InfraSettings {
    std::chrono::milliseconds unknown_rtt{376};  // assumed RTT (and timeout) of a new server
    std::chrono::milliseconds min_timeout{50};
    std::chrono::milliseconds max_timeout{3000};
    uint32_t lame_ttl = 900;     // seconds a server stays lame for a zone
    uint32_t backoff_max = 120;  // longest a failing server is avoided, seconds
    std::size_t max_entries = 100'000;
};

class Infra {
  public:
    explicit Infra(InfraSettings s);

    std::chrono::milliseconds timeout_for(const ServerAddr& a);
    void on_response(const ServerAddr& a, std::chrono::microseconds rtt);
    void on_failure(const ServerAddr& a, uint32_t now);  // timeout or network error

    bool edns_broken(const ServerAddr& a);
    void set_edns_broken(const ServerAddr& a);
    // Servers that do not echo the question's case get no 0x20 randomisation.
    bool no_0x20(const ServerAddr& a);
    void set_no_0x20(const ServerAddr& a);
    // The server cookie it last gave us (RFC 7873 §5.3), to send back; empty if none.
    std::string server_cookie(const ServerAddr& a);
    void set_server_cookie(const ServerAddr& a, std::string_view cookie);

    void mark_lame(const wire::Name& zone, const ServerAddr& a, uint32_t now);
    bool is_lame(const wire::Name& zone, const ServerAddr& a, uint32_t now);

    // Candidates best first: usable ones by score, picking at random among those within
    // a 400 ms band of the best (so new servers get measured), backed-off ones last.
    std::vector<ServerAddr> order(std::span<const ServerAddr> candidates, uint32_t now);

    struct Stats {
        uint32_t srtt_us = 0;
        uint32_t rttvar_us = 0;
        uint32_t failures = 0;     // consecutive
        uint32_t avoid_until = 0;  // seconds, while failures persist
        bool measured = false;
        bool no_edns = false;
        bool no_0x20 = false;
        std::string cookie;  // 8 to 32 bytes once the server has sent one
    };
    Stats stats(const ServerAddr& a);

    // The whole table, for `port53-ctl infra`: each server known, its figures, and the
    // zones it is lame for with the time that ends (lame entries of servers without
    // figures come with default ones). Sorted by address.
    struct Entry {
        ServerAddr addr;
        Stats stats;
        std::vector<std::pair<wire::Name, uint32_t>> lame_until;
    };
    std::vector<Entry> entries() const;

  private:
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Stats> hosts;
        std::unordered_map<std::string, uint32_t> lame_until;  // zone key + addr key
    };
    Shard& shard(const std::string& key);
    template <typename F>
    auto with_host(const ServerAddr& a, F&& f);

    InfraSettings settings_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace port53::upstream
