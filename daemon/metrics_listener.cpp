#include "daemon/metrics_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "base/log.hpp"

namespace port53::daemon {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr int kMaxConnections = 16;  // scrapers are few; more is someone else
constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxRequestBytes = 8192;  // a GET has no body

http::response<http::string_body> reply(http::status status, std::string body,
                                        const char* type = "text/plain; charset=utf-8") {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, type);
    res.set(http::field::server, "port53");
    res.keep_alive(false);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

}  // namespace

MetricsListener::MetricsListener(asio::io_context& io, const asio::ip::tcp::endpoint& ep,
                                 server::Acl acl, Render render)
    : acceptor_(io, ep), acl_(std::move(acl)), render_(std::move(render)) {}

void MetricsListener::start() {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

base::awaitable<void> MetricsListener::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        asio::ip::tcp::socket socket(acceptor_.get_executor());
        co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) continue;
        auto peer = socket.remote_endpoint(ec);
        if (ec || acl_.check(peer.data()) != server::AclAction::allow || open_ >= kMaxConnections)
            continue;  // closed unanswered, as the DNS listeners drop refused clients' TCP
        asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
}

// One request per connection (Connection: close): a scrape every few seconds needs no more.
base::awaitable<void> MetricsListener::serve(asio::ip::tcp::socket socket) {
    ++open_;
    asio::steady_timer deadline(socket.get_executor());
    deadline.expires_after(kRequestTimeout);  // a client that sends nothing, or never reads
    deadline.async_wait([&socket](boost::system::error_code ec) {
        if (!ec) socket.close(ec);
    });
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    boost::beast::flat_buffer buffer(kMaxRequestBytes);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMaxRequestBytes);
    co_await http::async_read(socket, buffer, parser, redirect);
    if (!ec) {
        const auto& req = parser.get();
        auto target = req.target();
        http::response<http::string_body> res;
        if (req.method() != http::verb::get)
            res = reply(http::status::method_not_allowed, "GET /metrics\n");
        else if (target != "/metrics" && !target.starts_with("/metrics?"))
            res = reply(http::status::not_found, "GET /metrics\n");
        else
            res = reply(http::status::ok, render_(), "text/plain; version=0.0.4; charset=utf-8");
        co_await http::async_write(socket, res, redirect);
    }
    deadline.cancel();
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    --open_;
}

}  // namespace port53::daemon
