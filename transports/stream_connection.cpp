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
      slot_timer_(stream_.get_executor()),
      writer_wakeup_(stream_.get_executor()) {}

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
      slot_timer_(stream_.get_executor()),
      writer_wakeup_(stream_.get_executor()) {}

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
    writer_wakeup_.cancel();  // the writer sees closed_ and ends
}

// The idle deadline moves with every query, the timer does not: it is set again only when it
// fires before the deadline, so a busy connection costs no timer operation per query.
template <typename Stream>
void StreamConnection<Stream>::arm_idle_timer() {
    idle_deadline_ = std::chrono::steady_clock::now() + limits_.idle_timeout;
    if (!idle_waiting_) wait_idle(idle_deadline_);
}

template <typename Stream>
void StreamConnection<Stream>::disarm_idle_timer() {
    idle_deadline_ = std::chrono::steady_clock::time_point::max();
}

template <typename Stream>
void StreamConnection<Stream>::wait_idle(std::chrono::steady_clock::time_point at) {
    idle_waiting_ = true;
    idle_timer_.expires_at(at);
    idle_timer_.async_wait([weak = this->weak_from_this()](boost::system::error_code ec) {
        auto conn = weak.lock();
        if (!conn) return;
        conn->idle_waiting_ = false;
        auto now = std::chrono::steady_clock::now();
        if (ec || conn->closed_ ||
            conn->idle_deadline_ == std::chrono::steady_clock::time_point::max())
            return;
        if (conn->idle_deadline_ > now) return conn->wait_idle(conn->idle_deadline_);
        // Idle means nothing to read and nothing owed; a writer stuck this long on a client
        // that does not read is cut off too.
        bool stalled = conn->writing_ && now - conn->write_started_ >= conn->limits_.idle_timeout;
        if ((conn->pending_ == 0 && conn->out_.empty() && !conn->writing_) || stalled)
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
    // One writer for the connection's life, woken when answers are queued (one per burst
    // took a coroutine and its allocations).
    asio::co_spawn(
        stream_.get_executor(), [self] { return self->write_loop(); }, asio::detached);
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
        while (have - used >= 2 && have - used >= 2 + std::size_t{wire::load16(&in[used])} &&
               !closed_) {
            std::size_t len = wire::load16(&in[used]);
            timing = false;
            disarm_idle_timer();
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
    disarm_idle_timer();
    // Answers still owed go out first; the writer closes when it is done.
    reading_done_ = true;
    writer_wakeup_.cancel();
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
    writer_wakeup_.cancel();  // also for no answer: once all are in, the writer closes
    if (closed_ || reply.empty()) return;
    // A client that keeps sending but never reads would grow this without end.
    if (out_.size() > kMaxUnsent) return close();
    uint8_t len[2];
    wire::store16(len, static_cast<uint16_t>(reply.size()));
    out_.insert(out_.end(), len, len + 2);
    out_.insert(out_.end(), reply.begin(), reply.end());
}

template <typename Stream>
base::awaitable<void> StreamConnection<Stream>::write_loop() {
    auto self = this->shared_from_this();
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    while (!closed_) {
        if (out_.empty()) {
            if (reading_done_ && pending_ == 0) break;  // nothing more will come
            writer_wakeup_.expires_at(asio::steady_timer::time_point::max());
            co_await writer_wakeup_.async_wait(redirect);  // cancelled: answers, or the end
            continue;
        }
        // Everything queued goes out in one write: pipelined answers share segments (and
        // TLS records) instead of one round of each per answer. Both buffers keep their
        // capacity.
        sending_.swap(out_);
        out_.clear();
        writing_ = true;
        write_started_ = std::chrono::steady_clock::now();
        co_await asio::async_write(stream_, asio::buffer(sending_), redirect);
        writing_ = false;
        if (ec) break;
    }
    close();
}

template class StreamConnection<TcpStream>;
template class StreamConnection<TlsTcpStream>;

}  // namespace port53::transports
