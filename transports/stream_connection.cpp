#include "transports/stream_connection.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/counters.hpp"
#include "transports/stream_query.hpp"
#include "wire/types.hpp"

namespace port53::transports {
namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxUnsent = 1 << 20;  // answers a client may leave unread, bytes
constexpr std::size_t kReadBuffer = 4096;    // ~100 pipelined queries; grows for a bigger one

// One way to open either stream for both constructors: clang 14 (clang-tidy) instantiates
// a constructor whose requires-clause rules it out, so neither may name one stream's own.
template <typename Stream>
Stream open_stream(asio::ip::tcp::socket socket, asio::ssl::context* ctx) {
    if constexpr (StreamConnection<Stream>::kTls)
        return Stream(std::move(socket), *ctx);
    else
        return Stream(std::move(socket));
}
}  // namespace

template <typename Stream>
StreamConnection<Stream>::StreamConnection(
    asio::ip::tcp::socket socket, asio::ip::tcp::endpoint peer, server::FrontDoor& front_door,
    const StreamLimits& limits,
    std::atomic<std::size_t>& connections) requires(!std::is_same_v<Stream, TlsTcpStream>)
    : peer_(peer),
      stream_(open_stream<Stream>(std::move(socket), nullptr)),
      front_door_(front_door),
      limits_(limits),
      slot_(connections),
      idle_timer_(stream_.get_executor()),
      slot_timer_(stream_.get_executor()) {}

template <typename Stream>
StreamConnection<Stream>::StreamConnection(
    asio::ip::tcp::socket socket, asio::ip::tcp::endpoint peer,
    std::shared_ptr<asio::ssl::context> ctx, server::FrontDoor& front_door,
    const StreamLimits& limits,
    std::atomic<std::size_t>& connections) requires(std::is_same_v<Stream, TlsTcpStream>)
    : peer_(peer),
      ctx_(std::move(ctx)),
      stream_(open_stream<Stream>(std::move(socket), ctx_.get())),
      front_door_(front_door),
      limits_(limits),
      slot_(connections),
      idle_timer_(stream_.get_executor()),
      slot_timer_(stream_.get_executor()) {}

template <typename Stream>
void StreamConnection<Stream>::start() {
    asio::co_spawn(
        stream_.get_executor(), [self = this->shared_from_this()] { return self->run(); },
        asio::detached);
}

template <typename Stream>
void StreamConnection<Stream>::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    // No TLS close_notify: the peer is either gone, idle or misbehaving, and waiting for
    // its side of the shutdown would only hold the slot longer.
    stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
    idle_timer_.cancel();
    slot_timer_.cancel();
}

template <typename Stream>
void StreamConnection<Stream>::arm_idle_timer() {
    idle_timer_.expires_after(limits_.idle_timeout);
    idle_timer_.async_wait([weak = this->weak_from_this()](boost::system::error_code ec) {
        auto conn = weak.lock();
        if (ec || !conn || conn->closed_ ||
            conn->idle_timer_.expiry() > std::chrono::steady_clock::now())
            return;
        // Idle means nothing to read and nothing owed; a writer stuck this long on a client
        // that does not read is cut off too.
        bool stalled = conn->writing_ && std::chrono::steady_clock::now() - conn->write_started_ >=
                                             conn->limits_.idle_timeout;
        if ((conn->pending_ == 0 && !conn->writing_) || stalled)
            conn->close();
        else
            conn->arm_idle_timer();
    });
}

template <typename Stream>
base::awaitable<void> StreamConnection<Stream>::run() {
    auto self = this->shared_from_this();
    if constexpr (kTls) {
        boost::system::error_code ec;
        arm_idle_timer();  // bounds the handshake: garbage or silence instead of a ClientHello
        co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                         asio::redirect_error(asio::use_awaitable, ec));
        bool ok = !ec && !closed_;
        base::counters().handshake(ok ? base::Handshake::ok : base::Handshake::failed);
        if (!ok) {
            close();
            co_return;
        }
    }
    co_await read_loop();
}

// Reads whatever the client has sent (up to the buffer's size) and answers every complete
// query in it: a pipelining client's queries cost one read (one recv, or one TLS record)
// for many, where reading each query's length and then its body took two each.
template <typename Stream>
base::awaitable<void> StreamConnection<Stream>::read_loop() {
    std::vector<uint8_t> in(kReadBuffer);
    std::size_t have = 0;
    bool timing = false;  // the idle timer runs from the end of one query to the next
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    while (!closed_) {
        std::size_t used = 0;
        while (have - used >= 2 && have - used >= 2 + wire::load16(&in[used]) && !closed_) {
            std::size_t len = wire::load16(&in[used]);
            timing = false;
            idle_timer_.cancel();
            dispatch(std::span<const uint8_t>(&in[used + 2], len));
            used += 2 + len;
            while (pending_ >= limits_.max_pipelined && !closed_) {
                slot_timer_.expires_at(asio::steady_timer::time_point::max());
                co_await slot_timer_.async_wait(redirect);
            }
        }
        if (closed_) break;
        std::copy(in.begin() + static_cast<std::ptrdiff_t>(used),
                  in.begin() + static_cast<std::ptrdiff_t>(have), in.begin());
        have -= used;
        // A query bigger than the buffer (up to 65535 bytes): room for all of it.
        if (have >= 2 && in.size() < 2 + std::size_t{wire::load16(in.data())})
            in.resize(2 + std::size_t{wire::load16(in.data())});
        if (!timing) {
            arm_idle_timer();  // a slow client's partial query does not restart it
            timing = true;
        }
        have += co_await stream_.async_read_some(asio::buffer(in.data() + have, in.size() - have),
                                                 redirect);
        if (ec) break;
    }
    idle_timer_.cancel();
    // Answers still owed go out first; the writer closes when it is done.
    if (pending_ == 0 && !writing_) close();
}

template <typename Stream>
void StreamConnection<Stream>::dispatch(std::span<const uint8_t> query) {
    ++pending_;
    base::counters().query(kTls ? base::Transport::dot : base::Transport::tcp);
    // Padding (RFC 8467) only where the transport is encrypted.
    // `this` by plain pointer: a std::function holds it without allocating (a shared_ptr
    // capture took an allocation per query); a later answer keeps the connection alive
    // through keep_alive instead.
    answer_query(
        front_door_, query, peer_.data(), limits_.acl, limits_.view, stream_.get_executor(),
        [this](std::span<const uint8_t> reply) {
            --pending_;
            slot_timer_.cancel();
            queue_reply(reply);
        },
        kTls ? server::ClientTransport::dot : server::ClientTransport::tcp,
        this->shared_from_this());
}

template <typename Stream>
void StreamConnection<Stream>::queue_reply(std::span<const uint8_t> reply) {
    if (closed_ || reply.empty()) return;
    // A client that keeps sending but never reads would grow this without end.
    if (out_.size() > kMaxUnsent) return close();
    uint8_t len[2];
    wire::store16(len, static_cast<uint16_t>(reply.size()));
    out_.insert(out_.end(), len, len + 2);
    out_.insert(out_.end(), reply.begin(), reply.end());
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(
            stream_.get_executor(),
            [self = this->shared_from_this()] { return self->write_loop(); }, asio::detached);
    }
}

template <typename Stream>
base::awaitable<void> StreamConnection<Stream>::write_loop() {
    auto self = this->shared_from_this();
    boost::system::error_code ec;
    // Everything queued goes out in one write: pipelined answers share segments (and TLS
    // records) instead of one round of each per answer.
    while (!out_.empty() && !closed_) {
        sending_.swap(out_);  // both keep their capacity: no allocation per burst
        out_.clear();
        write_started_ = std::chrono::steady_clock::now();
        co_await asio::async_write(stream_, asio::buffer(sending_),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            close();
            break;
        }
    }
    writing_ = false;
}

template class StreamConnection<TcpStream>;
template class StreamConnection<TlsTcpStream>;

}  // namespace port53::transports
