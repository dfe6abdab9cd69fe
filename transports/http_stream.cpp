#include "transports/http_stream.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/counters.hpp"

namespace port53::transports {
namespace asio = boost::asio;

base::awaitable<bool> tls_handshake(TlsStream& s, std::chrono::milliseconds timeout) {
    asio::steady_timer timer(s.stream.get_executor());
    timer.expires_after(timeout);
    // The handler may run after this frame is gone (queued just as the handshake ends):
    // it touches the stream only while `done` says the handshake is still running.
    auto done = std::make_shared<bool>(false);
    timer.async_wait([done, &s](boost::system::error_code ec) {
        if (!ec && !*done) close_socket(s.socket());
    });
    boost::system::error_code ec;
    co_await s.stream.async_handshake(asio::ssl::stream_base::server,
                                      asio::redirect_error(asio::use_awaitable, ec));
    *done = true;
    bool ok = !ec && s.socket().is_open();
    base::counters().handshake(ok ? base::Handshake::ok : base::Handshake::failed);
    co_return ok;
}

void close_socket(asio::ip::tcp::socket& s) {
    boost::system::error_code ignored;
    s.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s.close(ignored);
}

}  // namespace port53::transports
