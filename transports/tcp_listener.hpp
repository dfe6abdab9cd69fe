// DNS over TCP (RFC 7766) on one worker: connections admitted by a StreamAcceptor (global
// and per-client caps), each served by a TcpConnection (2-byte framing, pipelined queries
// answered as soon as each is ready, idle timeout, per-connection cap).
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "server/front_door.hpp"
#include "transports/client_connections.hpp"
#include "transports/proxy_policy.hpp"
#include "transports/stream_acceptor.hpp"
#include "transports/stream_connection.hpp"
#include "transports/tcp_settings.hpp"

namespace port53::transports {

class TcpListener {
  public:
    // `connections` counts TCP connections over all workers; `acl`: this address's own
    // access list (null: the front door's); `view`: the view it serves (0: none); `proxy`:
    // who may start connections with a PROXY v2 header (null: no header expected).
    TcpListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& ep,
                server::FrontDoor& front_door, const TcpSettings& settings,
                std::atomic<std::size_t>& connections, const server::Acl* acl = nullptr,
                server::ViewId view = 0, std::shared_ptr<const server::ProxyTrust> proxy = nullptr);
    void start() { acceptor_.start(); }
    // See StreamAcceptor::close(); the connections refer to this object: keep it.
    void close() { acceptor_.close(); }
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  private:
    void serve(boost::asio::ip::tcp::socket socket, const boost::asio::ip::tcp::endpoint& peer,
               std::unique_ptr<ClientSlot> client);

    server::FrontDoor& front_door_;
    std::atomic<std::size_t>& connections_;
    StreamLimits limits_;      // with this address's own access list, if it has one
    StreamAcceptor acceptor_;  // last: it hands connections to serve()
};

}  // namespace port53::transports
