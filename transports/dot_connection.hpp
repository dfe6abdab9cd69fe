// One DNS-over-TLS client (RFC 7858): TLS handshake, then RFC 7766 framing with pipelined
// queries answered in completion order, as on TCP. Shared ownership keeps it alive while
// resolutions are pending.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "resolver/coro.hpp"
#include "resolver/server.hpp"
#include "transports/encrypted_settings.hpp"

namespace port53::transports {

class DotConnection : public std::enable_shared_from_this<DotConnection> {
  public:
    DotConnection(boost::asio::ip::tcp::socket socket, boost::asio::ip::tcp::endpoint peer,
                  std::shared_ptr<boost::asio::ssl::context> ctx, resolver::Server& server,
                  const EncryptedSettings& settings, std::atomic<std::size_t>& connections);
    void start();
    // Keeps this client's share of connections until the connection ends.
    void hold(std::unique_ptr<ClientSlot> client) { slot_.client = std::move(client); }

  private:
    awaitable<void> run();
    awaitable<void> read_loop();
    void arm_idle_timer();
    void dispatch(std::span<const uint8_t> query);
    void queue_reply(std::span<const uint8_t> reply);
    awaitable<void> write_loop();
    void close();

    boost::asio::ip::tcp::endpoint peer_;             // for the ACL
    std::shared_ptr<boost::asio::ssl::context> ctx_;  // outlives the stream (SIGHUP reloads)
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
    resolver::Server& server_;
    const EncryptedSettings& settings_;
    ConnectionSlot slot_;
    boost::asio::steady_timer idle_timer_;
    boost::asio::steady_timer slot_timer_;  // wakes the reader when a pipelined slot frees
    std::vector<uint8_t> out_;              // framed answers waiting for the writer
    std::chrono::steady_clock::time_point write_started_;
    bool writing_ = false;
    bool closed_ = false;
    std::size_t pending_ = 0;
};

}  // namespace port53::transports
