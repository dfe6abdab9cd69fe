#include "daemon/control_tls.hpp"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "base/log.hpp"
#include "daemon/control_line.hpp"

namespace port53::daemon {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;

namespace {

// Handshake, command and close together: a client that stalls is cut off.
constexpr auto kTimeout = std::chrono::seconds(10);

template <typename Load>
void load_file(const std::string& path, const char* setting, Load load) {
    boost::system::error_code ec;
    load(path, ec);
    if (ec) throw std::runtime_error(std::string(setting) + " " + path + ": " + ec.message());
}

Tcp::endpoint endpoint_of(const std::string& text) {
    conf::ListenAddress a = conf::parse_listen_address(text);
    return {asio::ip::make_address(a.ip), a.port};
}

}  // namespace

ssl::context control_tls_context(const conf::Config::Control& c) {
    ssl::context ctx(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    load_file(c.server_cert, "control.server_cert",
              [&](const std::string& f, auto& ec) { ctx.use_certificate_chain_file(f, ec); });
    load_file(c.server_key, "control.server_key", [&](const std::string& f, auto& ec) {
        ctx.use_private_key_file(f, ssl::context::pem, ec);
    });
    load_file(c.client_ca, "control.client_ca",
              [&](const std::string& f, auto& ec) { ctx.load_verify_file(f, ec); });
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
        throw std::runtime_error("control.server_key " + c.server_key +
                                 ": does not match control.server_cert");
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    // Names the acceptable CAs to the client (RFC 8446 4.3.2 certificate_authorities), and
    // gives sessions an id context: a resumed session must keep its verified client.
    SSL_CTX_set_client_CA_list(ctx.native_handle(), SSL_load_client_CA_file(c.client_ca.c_str()));
    static const unsigned char kSessionContext[] = "port53-ctl";
    SSL_CTX_set_session_id_context(ctx.native_handle(), kSessionContext,
                                   sizeof kSessionContext - 1);
    return ctx;
}

ControlTls::ControlTls(asio::io_context& io, const conf::Config::Control& settings,
                       ControlSocket::Handler handler)
    : ctx_(control_tls_context(settings)), acceptor_(io), handler_(std::move(handler)) {
    boost::system::error_code ec;
    Tcp::endpoint at = endpoint_of(settings.tls_listen);
    acceptor_.open(at.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("control.tls_listen " + settings.tls_listen + ": " + ec.message());
}

void ControlTls::start() {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

base::awaitable<void> ControlTls::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        Tcp::socket s(acceptor_.get_executor());
        co_await acceptor_.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (!ec) asio::co_spawn(acceptor_.get_executor(), serve(std::move(s)), asio::detached);
    }
}

base::awaitable<void> ControlTls::serve(Tcp::socket s) {
    boost::system::error_code ec;
    Tcp::endpoint peer = s.remote_endpoint(ec);
    ssl::stream<Tcp::socket> stream(std::move(s), ctx_);
    asio::steady_timer deadline(stream.get_executor());
    deadline.expires_after(kTimeout);
    deadline.async_wait([&stream](boost::system::error_code e) {
        if (!e) stream.lowest_layer().close(e);
    });
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    co_await stream.async_handshake(ssl::stream_base::server, redirect);
    if (ec) {
        // A security event: someone without a good certificate tried the control port.
        P53_LOG(warning,
                "control TLS: refused " << peer.address().to_string() << ": " << ec.message());
    } else {
        co_await answer_one_line(stream, handler_);
        co_await stream.async_shutdown(redirect);
    }
    deadline.cancel();
}

std::unique_ptr<ControlTls> open_control_tls(const conf::Config::Control& settings,
                                             asio::io_context& io, ControlTargets& targets) {
    if (settings.tls_listen.empty()) return nullptr;
    auto listener = std::make_unique<ControlTls>(
        io, settings,
        [t = &targets](const std::string& line) { return control_command(line, *t); });
    listener->start();
    P53_LOG(info,
            "control over TLS on " << settings.tls_listen << ", clients of " << settings.client_ca);
    return listener;
}

}  // namespace port53::daemon
