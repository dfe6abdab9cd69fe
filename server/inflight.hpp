// The questions being resolved and the clients waiting on each: identical questions share
// one resolution, and nobody may hold more than a bounded share of that work. Every
// waiter counts against `max_waiters` (coalesced ones too, or one popular question could
// pile up without limit) and against its client's share (address, or /64 for IPv6): a
// client that resets its DoH streams or pipelines thousands of TCP queries cannot take
// every slot from the others.
#pragma once
#include <sys/socket.h>

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/front_door.hpp"
#include "wire/query_view.hpp"

namespace port53::server {

struct InflightLimits {
    std::size_t max_waiters = 10'000;  // client questions waiting, over all questions
    std::size_t per_client = 256;      // of those, from one client
    std::size_t per_question = 1'024;  // joined on one question
};

struct Waiter {
    std::vector<uint8_t> query;  // compact_query(): what the reply needs, not the whole query
    ClientTransport transport;
    boost::asio::any_io_executor ex;
    std::function<void(std::span<const uint8_t>)> done;  // the reply; empty: send nothing
    sockaddr_storage client{};                           // AF_UNSPEC when unknown
    ViewId view = 0;                                     // the view answering it
};

// What a waiter keeps of a query (a query may be 64 KiB, a waiter lives as long as the
// resolution): header and question as sent (ID, flags, the name's case) and an OPT with
// only the UDP size, DO and the client's COOKIE. Parses as the same question.
std::vector<uint8_t> compact_query(std::span<const uint8_t> query, const wire::QueryView& q);

class InflightTable {
  public:
    explicit InflightTable(const InflightLimits& limits) : limits_(limits) {}

    enum class Join { first, joined, full };
    // `first`: the caller starts the resolution; `full`: refused (the waiter is not kept).
    Join join(const std::string& key, Waiter w);
    // A resolution nobody waits on yet (prefetch); false if one runs or the table is full.
    bool start(const std::string& key);
    // The resolution of `key` is done: its waiters, now released.
    std::vector<Waiter> finish(const std::string& key);
    // Forgets every question and waiter (shutting down); their completions are destroyed
    // here, outside the lock.
    void clear();
    std::size_t questions() const;
    // The questions being resolved, for `port53-ctl list-inflight`: each key, when its
    // resolution started and how many clients wait on it (0: a prefetch).
    struct Listed {
        std::string key;
        std::chrono::steady_clock::time_point started;
        std::size_t waiters;
    };
    std::vector<Listed> list() const;

  private:
    static std::string client_key(const sockaddr_storage& a);
    void release(const Waiter& w);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::vector<Waiter>> questions_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> started_;
    std::unordered_map<std::string, std::size_t> per_client_;
    std::size_t waiters_ = 0;
    InflightLimits limits_;
};

}  // namespace port53::server
