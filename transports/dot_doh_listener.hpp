// DNS over TLS (RFC 7858), DNS over HTTPS (RFC 8484, HTTP/2 or HTTP/1.1 by ALPN) or DoH over
// plain HTTP (behind a TLS-terminating proxy) on one address and one worker: connections
// admitted by a StreamAcceptor (global and per-client caps), each handed to its session type.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "server/front_door.hpp"
#include "transports/dot_doh_settings.hpp"
#include "transports/proxy_policy.hpp"
#include "transports/stream_acceptor.hpp"
#include "transports/stream_connection.hpp"
#include "transports/tls_context.hpp"

namespace port53::transports {

enum class Frontend { dot, doh, doh_plain };

class DotDohListener {
  public:
    // `tls` is null for doh_plain. `connections` counts over all DoT and DoH listeners.
    // `view`: the view this address serves (0: none); `proxy`: who may start connections
    // with a PROXY v2 header, before TLS (null: no header expected).
    DotDohListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& ep,
                   Frontend kind, server::FrontDoor& front_door, const TlsContext* tls,
                   const DotDohSettings& settings, std::atomic<std::size_t>& connections,
                   server::ViewId view = 0,
                   std::shared_ptr<const server::ProxyTrust> proxy = nullptr);
    void start() { acceptor_.start(); }
    // See StreamAcceptor::close(); the connections refer to this object: keep it.
    void close() { acceptor_.close(); }
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  private:
    void serve(boost::asio::ip::tcp::socket socket, const boost::asio::ip::tcp::endpoint& peer,
               std::unique_ptr<ClientSlot> client);

    Frontend kind_;
    server::FrontDoor& front_door_;
    const TlsContext* tls_;
    const DotDohSettings& settings_;
    std::atomic<std::size_t>& connections_;
    StreamLimits dot_limits_;  // the DoT share of `settings_`
    StreamAcceptor acceptor_;  // last: it hands connections to serve()
};

}  // namespace port53::transports
