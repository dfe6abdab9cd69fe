// The byte streams a DoH session runs over, each owning what must live exactly as long as
// the connection: the TLS context it was accepted with and its connection-count slot.
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>

#include "base/coro.hpp"
#include "transports/dot_doh_settings.hpp"

namespace port53::transports {

struct TlsStream {
    TlsStream(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> c,
              std::atomic<std::size_t>& connections)
        : ctx(std::move(c)), stream(std::move(socket), *ctx), slot(connections) {}
    boost::asio::ip::tcp::socket& socket() { return stream.next_layer(); }

    std::shared_ptr<boost::asio::ssl::context> ctx;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream;
    ConnectionSlot slot;
};

struct PlainStream {
    PlainStream(boost::asio::ip::tcp::socket s, std::atomic<std::size_t>& connections)
        : stream(std::move(s)), slot(connections) {}
    boost::asio::ip::tcp::socket& socket() { return stream; }

    boost::asio::ip::tcp::socket stream;
    ConnectionSlot slot;
};

// Server-side TLS handshake, cut off after `timeout` (garbage or silence instead of a
// ClientHello must not hold a connection slot). False if it failed.
base::awaitable<bool> tls_handshake(TlsStream& s, std::chrono::milliseconds timeout);

// Closes the TCP socket at once (no TLS close_notify: the peer is gone, idle or misbehaving).
void close_socket(boost::asio::ip::tcp::socket& s);

}  // namespace port53::transports
