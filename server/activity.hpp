// What the network has been asking, for the web console (issue 14): per worker, a ring of
// the latest answered queries (searchable) and 10-minute buckets of counts by name, blocked
// name, client and security event for the last 24 hours. Everything is bounded: the ring by
// its size, each bucket by kMaxKeys keys per kind (later keys count under "(other)"). A
// worker takes only its own lock; the console takes each in turn to read.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/query_log.hpp"
#include "server/security_log.hpp"

namespace port53::server {

class Activity {
  public:
    // The kinds counted per bucket.
    enum class Top { names, blocked, clients, refused, rate_limited, tunnel_suspects, bogus };
    static constexpr std::size_t kKinds = 7;
    static constexpr std::size_t kMaxKeys = 256;                  // per kind and bucket
    static constexpr int64_t kBucketSeconds = 600;                // 10 minutes
    static constexpr std::size_t kBuckets = std::size_t{24} * 6;  // a day of them

    // `ring` entries per worker (at least 1).
    explicit Activity(std::size_t ring);
    ~Activity();
    Activity(const Activity&) = delete;
    Activity& operator=(const Activity&) = delete;

    // From any worker: an answered query (blocked: its EDE is 15 Blocked or 17 Filtered).
    void record(const QueryRecord& r);
    // From any worker: a security event about `client` (server/security_log.hpp).
    void security(SecurityEvent kind, const sockaddr* client);

    struct Entry {
        int64_t unix_s = 0;
        std::string client, name, type, rcode;
        int ede = -1;
        bool blocked = false, cache_hit = false;
    };
    // What a search keeps; an empty or negative field keeps all.
    struct Filter {
        std::string_view needle;  // in the name or the client, case-insensitive
        std::string_view rcode;   // "NXDOMAIN"
        std::string_view type;    // "AAAA"
        int blocked = -1;         // 1: blocked only, 0: not blocked only
    };
    // The newest entries `f` keeps, at most `limit`.
    std::vector<Entry> search(const Filter& f, std::size_t limit) const;
    // Answer latency over the entries of the last `seconds` (from the ring): percentiles in
    // microseconds; n = 0 when there were none.
    struct Latency {
        std::size_t n = 0;
        uint64_t p50_us = 0, p95_us = 0, p99_us = 0;
    };
    Latency latency(int64_t seconds) const;
    struct Count {
        std::string key;
        uint64_t n = 0;
    };
    // The `n` largest counts of `kind` over the buckets since `since_unix_s`, largest first.
    std::vector<Count> top(Top kind, int64_t since_unix_s, std::size_t n) const;

  private:
    struct Slot {
        int64_t unix_s = 0;
        sockaddr_storage client{};
        uint8_t name_len = 0;
        std::array<char, 255> name{};  // presentation form, lower case, cut at 255
        uint16_t qtype = 0, rcode = 0;
        int16_t ede = -1;
        bool cache_hit = false;
        uint32_t latency_us = 0;
    };
    // Looked up by string_view: a key already counted costs no allocation.
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const {
            return std::hash<std::string_view>{}(k);
        }
    };
    using Counts = std::unordered_map<std::string, uint64_t, KeyHash, std::equal_to<>>;
    struct Bucket {
        int64_t index = -1;  // unix_s / kBucketSeconds
        std::array<Counts, kKinds> counts;
    };
    struct Worker {
        mutable std::mutex m;
        std::vector<Slot> ring;
        std::size_t next = 0, filled = 0;
        std::vector<Bucket> buckets{kBuckets};
    };
    Worker& own();
    static void count(Worker& w, Top kind, int64_t unix_s, std::string_view key);

    std::size_t ring_;
    uint64_t id_;                   // tells this recorder's per-thread worker from an earlier one
    mutable std::mutex workers_m_;  // workers_ (its elements have their own locks)
    std::vector<std::unique_ptr<Worker>> workers_;
};

// Where security events go besides the log (null: nowhere). Set before the listeners start.
void set_security_activity(Activity* a);
Activity* security_activity();

}  // namespace port53::server
