// The PROXY v2 header at the start of a stream connection (TCP, and DoT and DoH before their
// TLS handshake: section 2 of the spec puts it first on the connection), read before the
// connection is handed to its session. Exactly the header's bytes are read, so what follows
// (a DNS length prefix, a TLS ClientHello) is left in the socket for the session.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "transports/proxy_policy.hpp"

namespace port53::transports {

// Gets the socket and the client: the one a trusted proxy's header names, the proxy itself
// for LOCAL, or the peer when it is not a trusted proxy (and sent no header).
using ProxiedStream =
    std::function<void(boost::asio::ip::tcp::socket, const boost::asio::ip::tcp::endpoint&)>;

// From a trusted proxy the header must arrive within `timeout`; from anyone else the first
// bytes are peeked at, and a connection that starts like a header is closed (untrusted).
// A connection refused is logged and counted (report_proxy_drop) and closed; `then` is not
// called for it. `what` names the transport in the log ("tcp", "dot", "doh").
void read_proxy_header(boost::asio::ip::tcp::socket socket,
                       const boost::asio::ip::tcp::endpoint& peer,
                       std::shared_ptr<const ProxyPolicy> policy, std::chrono::milliseconds timeout,
                       std::string_view what, ProxiedStream then);

}  // namespace port53::transports
