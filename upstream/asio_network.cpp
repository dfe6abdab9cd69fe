#include "upstream/asio_network.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/log.hpp"
#include "upstream/asio_address.hpp"
#include "wire/message.hpp"
#include "wire/opt_view.hpp"
#include "wire/types.hpp"

namespace port53::upstream {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

namespace {

// Closes the socket when the deadline passes, which makes the pending operation fail.
// The socket is shared so a late timer callback never touches a destroyed socket.
template <typename Socket>
void arm_deadline(asio::steady_timer& timer, const std::shared_ptr<Socket>& sock,
                  std::chrono::milliseconds timeout) {
    timer.expires_after(timeout);
    timer.async_wait([weak = std::weak_ptr<Socket>(sock)](boost::system::error_code ec) {
        if (ec) return;
        if (auto s = weak.lock()) {
            boost::system::error_code ignored;
            s->close(ignored);
        }
    });
}

}  // namespace

void AsioNetwork::note_unwanted() {
    uint64_t n = unwanted_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (limits_.unwanted_threshold && n % limits_.unwanted_threshold == 0) {
        P53_LOG(warning, n << " unwanted replies: possible spoofing; flushing the caches");
        if (limits_.on_unwanted_threshold) limits_.on_unwanted_threshold();
    }
}

base::awaitable<ExchangeResult> AsioNetwork::exchange(const ServerAddr& server,
                                                      std::span<const uint8_t> query, Proto proto,
                                                      std::chrono::milliseconds timeout) {
    // A global cap on open upstream queries: past it, fail fast instead of piling up.
    if (outstanding_.fetch_add(1, std::memory_order_relaxed) >= limits_.max_outstanding) {
        outstanding_.fetch_sub(1, std::memory_order_relaxed);
        co_return ExchangeResult{};
    }
    struct Release {
        std::atomic<std::size_t>& count;
        ~Release() { count.fetch_sub(1, std::memory_order_relaxed); }
    } release{outstanding_};
    const auto& source = server.v6 ? source_v6_ : source_v4_;
    ExchangeResult result;
    if (proto == Proto::tls) {
        // Only to servers configured for it; no TLS settings means no DoT server at all.
        if (tls_) result = co_await tls_->exchange(server, query, source, timeout);
        co_return result;
    }
    auto start = Clock::now();
    // (No co_await inside ?: : g++ 12 miscompiles it.)
    if (proto == Proto::udp)
        result.response = co_await udp_exchange(server, query, source, timeout);
    else
        result.response = co_await tcp_exchange(server, query, source, timeout);
    if (!result.response.empty())
        result.status = ExchangeResult::Status::ok;
    else if (Clock::now() - start >= timeout)
        result.status = ExchangeResult::Status::timeout;
    result.rtt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    co_return result;
}

base::awaitable<std::vector<uint8_t>> AsioNetwork::udp_exchange(const ServerAddr& server,
                                                                std::span<const uint8_t> query,
                                                                std::optional<ServerAddr> source,
                                                                std::chrono::milliseconds timeout) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    auto sock = std::make_shared<udp::socket>(ex);
    udp::endpoint peer(to_asio(server), server.port);
    sock->open(peer.protocol(), ec);
    if (!ec && source) sock->bind(udp::endpoint(to_asio(*source), 0), ec);
    if (!ec) sock->connect(peer, ec);  // port 0 bind above: kernel picks a random port
    if (ec) co_return std::vector<uint8_t>{};
    arm_deadline(timer, sock, timeout);
    co_await sock->async_send(asio::buffer(query.data(), query.size()), redirect);
    // Room for what we said we can take (the OPT's CLASS), not 64 KiB per exchange.
    std::size_t room = wire::kMinUdpSize;
    if (auto opt = wire::find_opt(query))
        room = std::max<std::size_t>(room, wire::load16(&query[opt->start + 3]));
    std::vector<uint8_t> buf(room + 1);  // +1: a larger datagram shows as too long
    while (!ec) {
        std::size_t n = co_await sock->async_receive(asio::buffer(buf), redirect);
        if (ec) break;
        // A datagram that does not match ID and question, or does not echo our DNS
        // cookie, may be a spoof: keep waiting for the real reply.
        std::span<const uint8_t> got(buf.data(), std::min(n, room));
        if (wire::response_matches_query(query, got) && wire::cookie_echoed(query, got)) {
            // Larger than we said we take: cut, so treat it as truncated (ask over TCP).
            if (n > room) wire::store16(&buf[2], wire::load16(&buf[2]) | wire::flag::TC);
            buf.resize(std::min(n, room));
            timer.cancel();
            co_return buf;
        }
        note_unwanted();
    }
    timer.cancel();
    co_return std::vector<uint8_t>{};
}

base::awaitable<std::vector<uint8_t>> AsioNetwork::tcp_exchange(const ServerAddr& server,
                                                                std::span<const uint8_t> query,
                                                                std::optional<ServerAddr> source,
                                                                std::chrono::milliseconds timeout) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    auto sock = std::make_shared<tcp::socket>(ex);
    tcp::endpoint peer(to_asio(server), server.port);
    arm_deadline(timer, sock, timeout);
    sock->open(peer.protocol(), ec);
    if (!ec && source) sock->bind(tcp::endpoint(to_asio(*source), 0), ec);
    if (!ec) co_await sock->async_connect(peer, redirect);
    if (!ec) sock->set_option(tcp::no_delay(true), ec);
    uint8_t len[2];
    wire::store16(len, static_cast<uint16_t>(query.size()));
    std::array<asio::const_buffer, 2> out{asio::buffer(len),
                                          asio::buffer(query.data(), query.size())};
    if (!ec) co_await asio::async_write(*sock, out, redirect);
    if (!ec) co_await asio::async_read(*sock, asio::buffer(len), redirect);
    std::vector<uint8_t> buf(ec ? 0 : wire::load16(len));
    if (!ec) co_await asio::async_read(*sock, asio::buffer(buf), redirect);
    timer.cancel();
    if (ec || !wire::response_matches_query(query, buf)) buf.clear();
    co_return buf;
}

}  // namespace port53::upstream
