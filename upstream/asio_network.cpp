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
#include "wire/message.hpp"
#include "wire/opt_view.hpp"
#include "wire/types.hpp"

namespace port53::upstream {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

namespace {

asio::ip::address to_asio(const ServerAddr& a) {
    if (a.v6) {
        asio::ip::address_v6::bytes_type b;
        std::copy(a.ip.begin(), a.ip.end(), b.begin());
        return asio::ip::address_v6(b);
    }
    return asio::ip::address_v4({a.ip[0], a.ip[1], a.ip[2], a.ip[3]});
}

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
    ExchangeResult result;
    // A global cap on open upstream queries: past it, fail fast instead of piling up.
    if (outstanding_.fetch_add(1, std::memory_order_relaxed) >= limits_.max_outstanding) {
        outstanding_.fetch_sub(1, std::memory_order_relaxed);
        co_return result;
    }
    struct Release {
        std::atomic<std::size_t>& count;
        ~Release() { count.fetch_sub(1, std::memory_order_relaxed); }
    } release{outstanding_};
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    boost::system::error_code ec;
    auto start = Clock::now();
    const auto& source = server.v6 ? source_v6_ : source_v4_;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);

    if (proto == Proto::udp) {
        auto sock = std::make_shared<udp::socket>(ex);
        udp::endpoint peer(to_asio(server), server.port);
        sock->open(peer.protocol(), ec);
        if (!ec && source) sock->bind(udp::endpoint(to_asio(*source), 0), ec);
        if (!ec) sock->connect(peer, ec);  // port 0 bind above: kernel picks a random port
        if (ec) co_return result;
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
                result.response = std::move(buf);
                result.status = ExchangeResult::Status::ok;
                break;
            }
            note_unwanted();
        }
    } else {
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
        std::vector<uint8_t> buf(wire::load16(len));
        if (!ec) co_await asio::async_read(*sock, asio::buffer(buf), redirect);
        if (!ec && wire::response_matches_query(query, buf)) {
            result.response = std::move(buf);
            result.status = ExchangeResult::Status::ok;
        }
    }
    timer.cancel();
    if (result.status != ExchangeResult::Status::ok)
        result.status = Clock::now() - start >= timeout ? ExchangeResult::Status::timeout
                                                        : ExchangeResult::Status::error;
    result.rtt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    co_return result;
}

}  // namespace port53::upstream
