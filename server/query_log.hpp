// The query log (issue 12): one JSON line per answered query, written by a thread of its
// own so no worker ever waits on the disk. Each worker appends to a buffer of its own (its
// lock is taken by the writer only to swap the buffer out); the writer drains the buffers
// every 100 ms or when one fills, and a worker whose buffer is at its bound drops the line
// and counts it, so a slow disk costs lines, never latency. Off (no QueryLog at all) the
// front door pays one predictable branch per query.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/front_door.hpp"
#include "server/log_settings.hpp"

namespace port53::server {

// One answered query. `qname` is the question's name in wire form.
struct QueryRecord {
    int64_t unix_us = 0;
    const sockaddr* client = nullptr;  // null: unknown (a trusted proxy's own)
    ClientTransport transport = ClientTransport::udp;
    std::span<const uint8_t> qname;
    uint16_t qtype = 0;
    uint16_t rcode = 0;  // with the extended bits of OPT (RFC 6891 §6.1.3)
    int ede = -1;        // RFC 8914 INFO-CODE of the reply; -1: none
    bool cache_hit = false;
    uint64_t latency_us = 0;
};

// `s` inside a JSON string: quotes, backslashes and control characters escaped, bytes
// above 0x7e as \u00XX (names are bytes, not UTF-8).
void append_json_string(std::string& out, std::string_view s);
// The client's address with the host bits beyond the prefix zeroed ("192.0.2.0"); "" for
// none or a family other than IPv4/IPv6.
std::string anonymised_address(const sockaddr* client, int v4_prefix, int v6_prefix);
// The line (with its newline) for `r`.
std::string format_query_line(const QueryRecord& r, const QueryLogSettings& s);

// A reply's RCODE (extended by its OPT record) and its first EDE INFO-CODE (-1: none).
struct ReplySummary {
    uint16_t rcode = 0;
    int ede = -1;
};
ReplySummary summarise_reply(std::span<const uint8_t> reply);

class QueryLog {
  public:
    // Opens the file (throws std::runtime_error naming it) and starts the writer.
    explicit QueryLog(QueryLogSettings s);
    ~QueryLog();
    QueryLog(const QueryLog&) = delete;
    QueryLog& operator=(const QueryLog&) = delete;

    // From any worker: formats and queues the line; never blocks on I/O.
    void write(const QueryRecord& r);
    // Logrotate: the file is closed and opened again by its name (from any thread).
    void reopen();
    // Waits until every line queued before the call is written (tests, shutdown).
    void flush();
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    uint64_t written() const { return written_.load(std::memory_order_relaxed); }

  private:
    struct Buffer {
        std::mutex m;
        std::string lines;
    };
    Buffer& own_buffer();
    void writer_loop();
    void drain(std::string& scratch);
    void open_file();

    QueryLogSettings settings_;
    uint64_t id_;  // tells this log's per-thread buffer from an earlier log's
    int fd_ = -1;
    std::mutex m_;  // buffers_, the flags and the condition below
    std::condition_variable wake_, drained_;
    std::vector<std::unique_ptr<Buffer>> buffers_;
    bool stop_ = false, reopen_ = false;
    uint64_t flush_asked_ = 0, flush_done_ = 0;
    std::atomic<uint64_t> dropped_{0}, written_{0};
    uint64_t dropped_reported_ = 0;
    std::thread writer_;
};

}  // namespace port53::server
