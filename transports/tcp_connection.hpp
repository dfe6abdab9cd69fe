// One client TCP connection: reads framed queries, dispatches each, writes answers in
// completion order. Shared ownership keeps it alive while resolutions are pending.
#pragma once
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "resolver/coro.hpp"
#include "resolver/server.hpp"
#include "transports/tcp_listener.hpp"

namespace port53::transports {

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
  public:
    TcpConnection(boost::asio::ip::tcp::socket socket, resolver::Server& server,
                  const TcpSettings& settings, std::atomic<std::size_t>& connections,
                  std::unique_ptr<ClientSlot> slot = nullptr, const resolver::Acl* acl = nullptr);
    ~TcpConnection();
    void start();

  private:
    awaitable<void> read_loop();
    void arm_idle_timer();
    void dispatch(std::span<const uint8_t> query);
    void queue_reply(std::span<const uint8_t> reply);
    awaitable<void> write_loop();
    void close();

    boost::asio::ip::tcp::socket socket_;
    resolver::Server& server_;
    const TcpSettings& settings_;
    std::atomic<std::size_t>& connections_;
    boost::asio::steady_timer idle_timer_;
    boost::asio::steady_timer slot_timer_;  // wakes the reader when a pipelined slot frees
    std::deque<std::vector<uint8_t>> write_queue_;
    bool writing_ = false;
    bool closed_ = false;
    std::size_t pending_ = 0;
    std::size_t queued_bytes_ = 0;  // framed answers not yet written
    std::chrono::steady_clock::time_point write_started_;
    sockaddr_storage peer_{};  // for the access check of every query
    std::unique_ptr<ClientSlot> slot_;
    const resolver::Acl* acl_;  // the listener's own access list; null: the server's  // this
                                // client's share of connections
};

}  // namespace port53::transports
