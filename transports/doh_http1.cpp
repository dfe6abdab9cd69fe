#include "transports/doh_http1.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include "base/counters.hpp"
#include "base/log.hpp"
#include "transports/forwarded_for.hpp"
#include "transports/stream_query.hpp"

namespace port53::transports {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {
DohResponse error_response(int status, std::string text) {
    DohDecoded d;
    d.status = status;
    d.error = std::move(text);
    return doh_error(d);
}
}  // namespace

template <typename Stream>
Http1Session<Stream>::Http1Session(std::unique_ptr<Stream> stream, server::FrontDoor& front_door,
                                   const DotDohSettings& settings, asio::ip::address peer,
                                   server::ViewId view)
    : stream_(std::move(stream)),
      front_door_(front_door),
      settings_(settings),
      peer_(peer),
      view_(view),
      idle_timer_(stream_->stream.get_executor()),
      wake_(stream_->stream.get_executor()) {}

template <typename Stream>
void Http1Session<Stream>::start() {
    asio::co_spawn(
        stream_->stream.get_executor(), [self = this->shared_from_this()] { return self->run(); },
        asio::detached);
}

template <typename Stream>
void Http1Session<Stream>::arm_idle_timer() {
    // One request at a time, so the timer bounds reading a request and writing its answer
    // (a client that never reads); the resolution itself is bounded by the engine.
    idle_timer_.expires_after(settings_.idle_timeout);
    idle_timer_.async_wait([weak = this->weak_from_this()](boost::system::error_code ec) {
        auto s = weak.lock();
        // A handler queued just before a cancel must not close a re-armed connection.
        if (s && !ec && s->idle_timer_.expiry() <= std::chrono::steady_clock::now())
            close_socket(s->stream_->socket());
    });
}

template <typename Stream>
base::awaitable<void> Http1Session<Stream>::run() {
    auto self = this->shared_from_this();
    // The buffer's limit must exceed the parser's header and body limits, or a large GET
    // (a 64 KiB query in ?dns=) fails as a buffer overflow (400) before the parser's own
    // limits can answer 431 or 413.
    boost::beast::flat_buffer buffer(kMaxHttpHeaderBytes + kMaxDnsMessage + 4096);
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kMaxHttpHeaderBytes);
        parser.body_limit(kMaxDnsMessage);
        arm_idle_timer();
        co_await http::async_read(stream_->stream, buffer, parser, redirect);
        idle_timer_.cancel();
        if (ec == http::error::body_limit) {
            co_await write(error_response(413, "DNS message over 65535 bytes"), 11, false);
            co_await discard_unread_body();
            break;
        }
        if (ec == http::error::header_limit) {
            co_await write(error_response(431, "request header too large"), 11, false);
            break;
        }
        // Anything else Beast's parser rejects (garbage, a TLS ClientHello on the plain
        // listener, a malformed request line) gets 400; closed connections get nothing.
        if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
            co_await write(error_response(400, "not an HTTP/1.1 request"), 11, false);
            break;
        }
        if (ec) break;
        const auto& req = parser.get();
        HttpRequest r{
            std::string_view(req.method_string().data(), req.method_string().size()),
            std::string_view(req.target().data(), req.target().size()),
            std::string_view(req[http::field::content_type].data(),
                             req[http::field::content_type].size()),
            std::span(reinterpret_cast<const uint8_t*>(req.body().data()), req.body().size())};
        ProxyHeaders proxy;
        for (const auto& f : req)
            if (boost::beast::iequals(f.name_string(), "X-Forwarded-For"))
                proxy.x_forwarded_for.emplace_back(f.value().data(), f.value().size());
            else if (f.name() == http::field::forwarded)
                proxy.forwarded.emplace_back(f.value().data(), f.value().size());
        DohResponse response = co_await answer(r, proxy);
        bool keep_alive = req.keep_alive();
        bool written = co_await write(response, req.version(), keep_alive);
        if (!written || !keep_alive) break;
    }
    idle_timer_.cancel();
    close_socket(stream_->socket());
}

template <typename Stream>
base::awaitable<void> Http1Session<Stream>::discard_unread_body() {
    // Lingering close (RFC 9112 §9.6): closing with the rest of the body unread makes the
    // kernel reset the connection, and the client may lose the 413 before reading it. Read
    // and drop a bounded amount for a bounded time (the idle timer) first.
    constexpr std::size_t kMaxDiscard = std::size_t{256} * 1024;
    std::array<char, 16 * 1024> sink{};
    boost::system::error_code ec;
    arm_idle_timer();
    for (std::size_t total = 0; total < kMaxDiscard && !ec;)
        total += co_await stream_->stream.async_read_some(
            asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    idle_timer_.cancel();
}

template <typename Stream>
base::awaitable<DohResponse> Http1Session<Stream>::answer(const HttpRequest& req,
                                                          const ProxyHeaders& proxy) {
    DohDecoded d = decode_doh_request(req, settings_.doh_path, settings_.view_paths);
    if (d.status != 200) co_return doh_error(d);
    auto who = forwarded_client(peer_, proxy, settings_.trusted_proxies);
    if (!who) co_return error_response(400, "unusable X-Forwarded-For or Forwarded header");
    asio::ip::tcp::endpoint client(*who, 0);
    P53_LOG(debug, "DoH/1.1 query from " << client.address().to_string());
    result_.reset();
    base::counters().query(base::Transport::doh);
    answer_query(front_door_, d.query, client.data(), settings_.acl.get(), d.view ? d.view : view_,
                 stream_->stream.get_executor(),
                 [self = this->shared_from_this(), kind = d.kind](std::span<const uint8_t> reply) {
                     self->result_ = doh_answer(kind, reply);
                     self->wake_.cancel();
                 });
    while (!result_) {
        boost::system::error_code ec;
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*result_);
}

template <typename Stream>
base::awaitable<bool> Http1Session<Stream>::write(const DohResponse& r, unsigned version,
                                                  bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "port53");
    auto beast_view = [](std::string_view v) {
        return boost::beast::string_view(v.data(), v.size());
    };
    res.set(http::field::content_type, beast_view(r.content_type));
    if (!r.cache_control.empty()) res.set(http::field::cache_control, r.cache_control);
    if (!r.allow.empty()) res.set(http::field::allow, beast_view(r.allow));
    res.body() = r.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    boost::system::error_code ec;
    arm_idle_timer();
    co_await http::async_write(stream_->stream, res, asio::redirect_error(asio::use_awaitable, ec));
    idle_timer_.cancel();
    co_return !ec;
}

template class Http1Session<TlsStream>;
template class Http1Session<PlainStream>;

}  // namespace port53::transports
