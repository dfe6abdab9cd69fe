// port53-ctl's second way in: the control socket's line protocol over TLS on a TCP address
// ([control] tls_listen), like unbound-control's. Only a client whose certificate
// client_ca signed completes the handshake (fail closed: no certificate, a certificate of
// another CA, plain TCP, all end before a command is read).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "base/coro.hpp"
#include "conf/config.hpp"
#include "daemon/control_commands.hpp"
#include "daemon/control_socket.hpp"

namespace port53::daemon {

// Server certificate and key, client certificates required and verified against
// client_ca, TLS 1.2 or later. Throws std::runtime_error naming the file that is wrong
// (port53d --check builds it too).
boost::asio::ssl::context control_tls_context(const conf::Config::Control& settings);

class ControlTls {
  public:
    // Binds now; throws std::runtime_error naming the address or file.
    ControlTls(boost::asio::io_context& io, const conf::Config::Control& settings,
               ControlSocket::Handler handler);
    ControlTls(const ControlTls&) = delete;
    ControlTls& operator=(const ControlTls&) = delete;
    void start();

  private:
    base::awaitable<void> accept_loop();
    base::awaitable<void> serve(boost::asio::ip::tcp::socket s);

    boost::asio::ssl::context ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    ControlSocket::Handler handler_;
};

// The listener answering control commands on `targets`, started; none without tls_listen.
std::unique_ptr<ControlTls> open_control_tls(const conf::Config::Control& settings,
                                             boost::asio::io_context& io, ControlTargets& targets);

}  // namespace port53::daemon
