// One client on a DNS stream, plain TCP (RFC 7766) or DNS over TLS (RFC 7858): 2-byte
// framing, pipelined queries answered in completion order (out of order), answers written
// in batches, an idle timeout, a cap on queries resolving at once, and a cut-off for
// clients that never read. Shared ownership keeps it alive while resolutions are pending.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <type_traits>
#include <vector>

#include "base/coro.hpp"
#include "server/front_door.hpp"
#include "transports/client_connections.hpp"

namespace port53::transports {

struct StreamLimits {
    std::chrono::milliseconds idle_timeout{10'000};  // also bounds handshakes, stalled writes
    std::size_t max_pipelined = 128;                 // queries resolving per connection
    const server::Acl* acl = nullptr;                // the listener's own; null: the server's
    server::ViewId view = 0;                         // the listener's view; 0: none
};

using TcpStream = boost::asio::ip::tcp::socket;
using TlsTcpStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

template <typename Stream>
class StreamConnection : public std::enable_shared_from_this<StreamConnection<Stream>> {
  public:
    // The constructors spell this out: clang 14 (clang-tidy) cannot find kTls in the
    // requires-clause of their out-of-line definitions.
    static constexpr bool kTls = std::is_same_v<Stream, TlsTcpStream>;

    // Plain TCP.
    StreamConnection(
        boost::asio::ip::tcp::socket socket, boost::asio::ip::tcp::endpoint peer,
        server::FrontDoor& front_door, const StreamLimits& limits,
        std::atomic<std::size_t>& connections) requires(!std::is_same_v<Stream, TlsTcpStream>);
    // TLS: `ctx` is kept as long as the connection (SIGHUP swaps in a new one for others).
    StreamConnection(
        boost::asio::ip::tcp::socket socket, boost::asio::ip::tcp::endpoint peer,
        std::shared_ptr<boost::asio::ssl::context> ctx, server::FrontDoor& front_door,
        const StreamLimits& limits,
        std::atomic<std::size_t>& connections) requires(std::is_same_v<Stream, TlsTcpStream>);

    // Keeps this client's share of connections until the connection ends.
    void hold(std::unique_ptr<ClientSlot> client) { slot_.client = std::move(client); }
    void start();

  private:
    base::awaitable<void> run();
    base::awaitable<void> read_loop();
    void arm_idle_timer();
    void disarm_idle_timer();
    void wait_idle(std::chrono::steady_clock::time_point at);
    void dispatch(std::span<const uint8_t> query);
    void queue_reply(std::span<const uint8_t> reply);
    base::awaitable<void> write_loop();
    void close();

    boost::asio::ip::tcp::endpoint peer_;             // for the ACL and the limits
    std::shared_ptr<boost::asio::ssl::context> ctx_;  // TLS only; outlives the stream
    Stream stream_;
    server::FrontDoor& front_door_;
    const StreamLimits& limits_;
    ConnectionSlot slot_;
    boost::asio::steady_timer idle_timer_;
    boost::asio::steady_timer slot_timer_;     // wakes the reader when a pipelined slot frees
    boost::asio::steady_timer writer_wakeup_;  // cancelled when answers are queued
    std::chrono::steady_clock::time_point idle_deadline_ =
        std::chrono::steady_clock::time_point::max();
    bool idle_waiting_ = false;  // idle_timer_ has a wait in flight
    bool reading_done_ = false;
    std::vector<uint8_t> out_;      // framed answers waiting for the writer
    std::vector<uint8_t> sending_;  // those the writer is writing
    std::chrono::steady_clock::time_point write_started_;
    bool writing_ = false;
    bool closed_ = false;
    std::size_t pending_ = 0;
};

using TcpConnection = StreamConnection<TcpStream>;
using DotConnection = StreamConnection<TlsTcpStream>;

extern template class StreamConnection<TcpStream>;
extern template class StreamConnection<TlsTcpStream>;

}  // namespace port53::transports
