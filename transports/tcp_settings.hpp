// Settings of the DNS-over-TCP listeners (server.tcp_* in port53d's configuration, which
// takes its defaults from here).
#pragma once
#include <chrono>
#include <cstddef>

#include "transports/client_connections.hpp"

namespace port53::transports {

// Queries resolving at once on one stream connection, unless configured (TCP and DoT).
constexpr std::size_t kMaxPipelined = 128;

struct TcpSettings {
    std::chrono::milliseconds idle_timeout{10'000};
    std::size_t max_connections = 1024;         // over all workers
    std::size_t max_pipelined = kMaxPipelined;  // queries being resolved per connection
    ClientConnections* per_client = nullptr;    // shared per-client cap; null: none
};

}  // namespace port53::transports
