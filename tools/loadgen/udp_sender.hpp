// One UDP sender thread: its share of the sockets, batches of sendmmsg/recvmmsg, responses
// matched by ID and question, timeouts counted as lost.
#pragma once
#include <memory>
#include <vector>

#include "tools/loadgen/load.hpp"
#include "tools/loadgen/query_file.hpp"
#include "tools/loadgen/stats.hpp"

namespace port53::loadgen {

// Opens `n` non-blocking UDP sockets connected to the server; empty (and `error` set) on
// failure.
std::vector<int> open_udp_sockets(const Config& cfg, unsigned n, std::string& error);

// Runs one thread's share until the feed is done and every query is answered or timed
// out; the sockets are closed at the end.
Stats run_udp_sender(const Config& cfg, const QuerySet& queries, QueryFeed& feed,
                     const std::vector<int>& fds, uint64_t start_ns, unsigned index);

}  // namespace port53::loadgen
