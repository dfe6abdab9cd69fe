// Accepts connections for one DoT, DoH (TLS) or plain-HTTP DoH address on one worker
// (SO_REUSEPORT: every worker has its own acceptor) and hands each to its session type.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/front_door.hpp"
#include "transports/encrypted_settings.hpp"
#include "transports/stream_connection.hpp"
#include "transports/tls_context.hpp"

namespace port53::transports {

enum class Frontend { dot, doh, doh_plain };

class EncryptedListener {
  public:
    // `tls` is null for doh_plain. `connections` counts over all encrypted listeners.
    EncryptedListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& ep,
                      Frontend kind, server::FrontDoor& front_door, const TlsContext* tls,
                      const EncryptedSettings& settings, std::atomic<std::size_t>& connections);
    void start();
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  private:
    void accept();
    void serve(boost::asio::ip::tcp::socket socket);

    boost::asio::ip::tcp::acceptor acceptor_;
    Frontend kind_;
    server::FrontDoor& front_door_;
    const TlsContext* tls_;
    const EncryptedSettings& settings_;
    std::atomic<std::size_t>& connections_;
    StreamLimits dot_limits_;  // the DoT share of `settings_`
};

}  // namespace port53::transports
