// The PROXY v2 header at the start of a stream connection (TCP, and DoT and DoH before their
// TLS handshake: section 2 of the spec puts it first on the connection), read before the
// connection is handed to its session. Exactly the header's bytes are read, so what follows
// (a DNS length prefix, a TLS ClientHello) is left in the socket for the session.
#pragma once
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "transports/client_connections.hpp"
#include "transports/proxy_policy.hpp"

namespace port53::transports {

// Gets the socket, the client (the one a trusted proxy's header names, the proxy itself for
// LOCAL, or the peer when it is not a trusted proxy and sent no header) and the client slot
// given to read_proxy_header().
using ProxiedStream =
    std::function<void(boost::asio::ip::tcp::socket, const boost::asio::ip::tcp::endpoint&,
                       std::unique_ptr<ClientSlot>)>;

// The connection waiting to be read from.
struct PendingStream {
    boost::asio::ip::tcp::socket socket;
    boost::asio::ip::tcp::endpoint peer;
    // The peer's share, taken before the wait when it is not a trusted proxy (it is the
    // client: a wait must not escape the per-client cap); null otherwise.
    std::unique_ptr<ClientSlot> slot;
};

// From a trusted proxy the header must arrive within `timeout`; from anyone else the first
// bytes are peeked at, and a connection that starts like a header is closed (untrusted).
// While waiting the connection counts in `open` (the cap of its kind). A connection refused
// is logged and counted (server::proxy_dropped) and closed; `then` is not called for it. `what`
// names the transport in the log ("tcp", "dot", "doh").
void read_proxy_header(PendingStream pending, std::shared_ptr<const server::ProxyTrust> policy,
                       std::chrono::milliseconds timeout, std::atomic<std::size_t>& open,
                       std::string_view what, ProxiedStream then);

}  // namespace port53::transports
