#include "transports/tcp_connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "resolver/wire/types.hpp"
#include "transports/socket_options.hpp"

namespace port53::transports {
namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxUnsent = 1 << 20;  // answers a client may leave unread, bytes
}  // namespace

TcpConnection::TcpConnection(asio::ip::tcp::socket socket, resolver::Server& server,
                             const TcpSettings& settings, std::atomic<std::size_t>& connections,
                             std::unique_ptr<ClientSlot> slot, const resolver::Acl* acl)
    : socket_(std::move(socket)),
      server_(server),
      settings_(settings),
      connections_(connections),
      idle_timer_(socket_.get_executor()),
      slot_timer_(socket_.get_executor()),
      slot_(std::move(slot)),
      acl_(acl) {
    ++connections_;
}

TcpConnection::~TcpConnection() {
    --connections_;
}

void TcpConnection::start() {
    set_no_delay(socket_.native_handle());
    boost::system::error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    if (!ec) std::memcpy(&peer_, remote.data(), remote.size());
    asio::co_spawn(
        socket_.get_executor(), [self = shared_from_this()] { return self->read_loop(); },
        asio::detached);
}

void TcpConnection::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    idle_timer_.cancel();
    slot_timer_.cancel();
}

void TcpConnection::arm_idle_timer() {
    idle_timer_.expires_after(settings_.idle_timeout);
    idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto conn = weak.lock();
        if (ec || !conn || conn->closed_) return;
        // Idle means nothing to read and nothing owed: answers still pending keep it open.
        // A writer stuck this long on a client that does not read is cut off too.
        bool stalled = conn->writing_ && std::chrono::steady_clock::now() - conn->write_started_ >=
                                             conn->settings_.idle_timeout;
        if ((conn->pending_ == 0 && !conn->writing_) || stalled)
            conn->close();
        else
            conn->arm_idle_timer();
    });
}

awaitable<void> TcpConnection::read_loop() {
    auto self = shared_from_this();
    std::vector<uint8_t> query;
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    while (!closed_) {
        // The idle timer closes a connection that sends nothing, unless answers are pending.
        arm_idle_timer();
        uint8_t len[2];
        co_await asio::async_read(socket_, asio::buffer(len), redirect);
        if (ec) break;
        query.resize(wire::load16(len));
        co_await asio::async_read(socket_, asio::buffer(query), redirect);
        if (ec) break;
        idle_timer_.cancel();
        dispatch(query);
        while (pending_ >= settings_.max_pipelined && !closed_) {
            slot_timer_.expires_at(asio::steady_timer::time_point::max());
            co_await slot_timer_.async_wait(redirect);
        }
    }
    idle_timer_.cancel();
    // Let pending answers go out before the socket closes (the writer closes when drained).
    if (pending_ == 0 && !writing_) close();
}

void TcpConnection::dispatch(std::span<const uint8_t> query) {
    thread_local std::vector<uint8_t> scratch(65535);
    std::size_t len = 0;
    auto r = server_.handle_fast(query, scratch, len, resolver::ClientTransport::stream,
                                 reinterpret_cast<const sockaddr*>(&peer_), acl_);
    if (r == resolver::Server::Fast::answered) {
        queue_reply(std::span(scratch.data(), len));
    } else if (r == resolver::Server::Fast::resolve) {
        ++pending_;
        server_.handle_slow(
            query, resolver::ClientTransport::stream, socket_.get_executor(),
            [self = shared_from_this()](std::span<const uint8_t> reply) {
                --self->pending_;
                self->slot_timer_.cancel();
                self->queue_reply(reply);
            },
            reinterpret_cast<const sockaddr*>(&peer_));
    }
}

void TcpConnection::queue_reply(std::span<const uint8_t> reply) {
    if (closed_ || reply.empty()) return;
    // A client that keeps sending but never reads would grow the queue without end.
    if (queued_bytes_ > kMaxUnsent) return close();
    std::vector<uint8_t> framed(reply.size() + 2);
    wire::store16(framed.data(), static_cast<uint16_t>(reply.size()));
    std::copy(reply.begin(), reply.end(), framed.begin() + 2);
    queued_bytes_ += framed.size();
    write_queue_.push_back(std::move(framed));
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(
            socket_.get_executor(), [self = shared_from_this()] { return self->write_loop(); },
            asio::detached);
    }
}

awaitable<void> TcpConnection::write_loop() {
    auto self = shared_from_this();
    boost::system::error_code ec;
    while (!write_queue_.empty() && !closed_) {
        std::vector<uint8_t> next = std::move(write_queue_.front());
        write_queue_.pop_front();
        write_started_ = std::chrono::steady_clock::now();
        co_await asio::async_write(socket_, asio::buffer(next),
                                   asio::redirect_error(asio::use_awaitable, ec));
        queued_bytes_ -= next.size();
        if (ec) {
            close();
            break;
        }
    }
    writing_ = false;
}

}  // namespace port53::transports
