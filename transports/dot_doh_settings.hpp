// Settings of the DoT, DoH (TLS) and plain-HTTP DoH listeners (the [tls] section), one set
// for all of them.
#pragma once
#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server/front_door.hpp"
#include "transports/client_connections.hpp"
#include "transports/doh_request.hpp"
#include "transports/tcp_settings.hpp"

namespace port53::transports {

struct DotDohSettings {
    std::chrono::milliseconds idle_timeout{30'000};  // also bounds handshakes and stalled writes
    std::size_t max_connections = 1024;              // over all workers and listeners
    std::size_t max_pipelined = kMaxPipelined;       // DoT queries resolving per connection
    uint32_t max_streams = 100;                      // HTTP/2 concurrent streams per connection
    std::string doh_path = "/dns-query";
    std::vector<DohViewPath> view_paths;  // views' own DoH paths (server/views.hpp)
    std::vector<boost::asio::ip::address> trusted_proxies;  // may set X-Forwarded-For
    ClientConnections* per_client = nullptr;  // shared with TCP: connections per client address
    std::shared_ptr<const server::Acl> acl;   // this listener's own access list; null: the server's
};

}  // namespace port53::transports
