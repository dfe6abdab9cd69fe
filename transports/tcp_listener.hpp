// DNS over TCP (RFC 7766) on one worker: 2-byte framing, pipelined queries answered as
// soon as each is ready (out of order), idle timeout, per-connection and global caps.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>

#include "server/front_door.hpp"
#include "transports/client_connections.hpp"
#include "transports/stream_connection.hpp"
#include "transports/tcp_settings.hpp"

namespace port53::transports {

class TcpListener {
  public:
    TcpListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& ep,
                server::FrontDoor& front_door, const TcpSettings& settings,
                std::atomic<std::size_t>& connections, const server::Acl* acl = nullptr);
    void start();
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  private:
    void accept();

    boost::asio::ip::tcp::acceptor acceptor_;
    server::FrontDoor& front_door_;
    const TcpSettings& settings_;
    std::atomic<std::size_t>& connections_;
    StreamLimits limits_;  // with this address's own access list, if it has one
};

}  // namespace port53::transports
