#include "transports/doh_http2.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <iterator>

#include "base/counters.hpp"
#include "base/log.hpp"
#include "transports/stream_query.hpp"

namespace port53::transports {
namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxWriteBatch = std::size_t{64} * 1024;
constexpr std::size_t kMaxControlFramesPerRequest = 200;

std::string_view view(const uint8_t* p, std::size_t n) {
    return {reinterpret_cast<const char*>(p), n};
}

nghttp2_nv header(std::string_view name, std::string_view value) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
            NGHTTP2_NV_FLAG_NONE};
}
}  // namespace

using Stream = Http2Session::Stream;

// A request body or answer past this is not kept for the next stream: a few large POSTs
// must not leave every slot holding 64 KiB.
constexpr std::size_t kKeptBuffer = 4096;

Stream* Http2Session::Streams::find(int32_t id) {
    for (auto& s : slots_)
        if (s->id == id) return s.get();
    return nullptr;
}

Stream& Http2Session::Streams::open(int32_t id) {
    Stream* s = find(0);
    if (!s) s = slots_.emplace_back(std::make_unique<Stream>()).get();
    s->id = id;
    return *s;
}

void Http2Session::Streams::close(int32_t id) {
    Stream* s = find(id);
    if (!s) return;
    s->id = 0;
    s->method.clear();
    s->path.clear();
    s->content_type.clear();
    s->body.clear();
    s->body_too_big = false;
    s->sent = 0;
    if (s->body.capacity() > kKeptBuffer) s->body.shrink_to_fit();
    if (s->response.body.capacity() > kKeptBuffer) {
        s->response.body.clear();
        s->response.body.shrink_to_fit();
    }
}

// nghttp2's C callbacks, with access to the session's streams.
struct Http2Callbacks {
    static Http2Session& self(void* user) { return *static_cast<Http2Session*>(user); }

    static int begin_headers(nghttp2_session* session, const nghttp2_frame* f, void* user) {
        if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
        Http2Session& s = self(user);
        // A stream the client reset still has its resolution running: it keeps its slot
        // until the answer comes (CVE-2023-44487, rapid reset). Past the stream limit, new
        // requests are refused, so resets cannot start unbounded work.
        if (s.resolving_ >= s.settings_.max_streams) {
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, f->hd.stream_id,
                                      NGHTTP2_REFUSED_STREAM);
            return 0;
        }
        s.streams_.open(f->hd.stream_id);
        return 0;
    }

    static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name,
                         size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                         void* user) {
        Stream* s = self(user).streams_.find(f->hd.stream_id);
        if (!s) return 0;
        std::string_view n = view(name, namelen);  // nghttp2 delivers names lower-cased
        if (n == ":method")
            s->method.assign(view(value, valuelen));
        else if (n == ":path")
            s->path.assign(view(value, valuelen));
        else if (n == "content-type")
            s->content_type.assign(view(value, valuelen));
        return 0;
    }

    static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                       void* user) {
        Stream* found = self(user).streams_.find(id);
        if (!found) return 0;
        Stream& s = *found;
        // Keep reading (flow control needs it) but stop storing past the DNS maximum.
        if (s.body.size() + len > kMaxDnsMessage)
            s.body_too_big = true;
        else
            s.body.append(view(data, len));
        return 0;
    }

    static int on_frame(nghttp2_session* session, const nghttp2_frame* f, void* user) {
        Http2Session& s = self(user);
        if (f->hd.type == NGHTTP2_PING || f->hd.type == NGHTTP2_SETTINGS ||
            f->hd.type == NGHTTP2_PRIORITY) {
            // Frames that ask for work but carry no request: a bounded number between
            // requests (a PING or SETTINGS flood ends the connection, RFC 9113 §10.5).
            if (++s.control_frames_ > kMaxControlFramesPerRequest) {
                nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
                return 0;
            }
        }
        bool request_done = (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
                            (f->hd.flags & NGHTTP2_FLAG_END_STREAM);
        if (request_done && s.streams_.find(f->hd.stream_id)) s.handle_request(f->hd.stream_id);
        return 0;
    }

    static int on_close(nghttp2_session*, int32_t id, uint32_t, void* user) {
        self(user).streams_.close(id);
        return 0;
    }

    static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source*, void* user) {
        Stream* found = self(user).streams_.find(id);
        if (!found) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        Stream& s = *found;
        std::size_t n = std::min(length, s.response.body.size() - s.sent);
        std::copy_n(s.response.body.data() + s.sent, n, buf);
        s.sent += n;
        if (s.sent == s.response.body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }
};

Http2Session::Http2Session(std::unique_ptr<TlsStream> stream, server::FrontDoor& front_door,
                           const DotDohSettings& settings, asio::ip::tcp::endpoint peer,
                           server::ViewId view)
    : stream_(std::move(stream)),
      peer_(peer),
      front_door_(front_door),
      settings_(settings),
      view_(view),
      idle_timer_(stream_->stream.get_executor()) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, Http2Callbacks::begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, Http2Callbacks::on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Http2Callbacks::on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Http2Callbacks::on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, Http2Callbacks::on_close);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    // Resets beyond a burst of one stream limit's worth, then 10 a second, end the
    // connection (GOAWAY): a client resetting as fast as it opens is not a client.
    nghttp2_option_set_stream_reset_rate_limit(opt, std::max<uint64_t>(settings_.max_streams, 32),
                                               10);
    nghttp2_session* raw = nullptr;
    nghttp2_session_server_new3(&raw, cb, this, opt, pool_.mem());
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    session_.reset(raw);
    std::array<nghttp2_settings_entry, 2> iv{{
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHttpHeaderBytes},
    }};
    nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, iv.data(), iv.size());
}

void Http2Session::start() {
    asio::co_spawn(
        stream_->stream.get_executor(), [self = shared_from_this()] { return self->run(); },
        asio::detached);
}

void Http2Session::close() {
    if (closed_) return;
    closed_ = true;
    close_socket(stream_->socket());
    idle_timer_.cancel();
}

// The idle deadline moves with every request and write, the timer does not: it is set again
// only when it fires before the deadline, so a busy connection costs no timer operation
// (and no allocation) per request.
void Http2Session::arm_idle_timer() {
    idle_deadline_ = std::chrono::steady_clock::now() + settings_.idle_timeout;
    if (!idle_waiting_) wait_idle();
}

void Http2Session::wait_idle() {
    idle_waiting_ = true;
    idle_timer_.expires_at(idle_deadline_);
    idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code) {
        auto s = weak.lock();
        if (!s) return;
        s->idle_waiting_ = false;
        if (s->closed_) return;
        auto now = std::chrono::steady_clock::now();
        if (s->idle_deadline_ > now) return s->wait_idle();  // progress since: wait on
        bool stalled = s->writing_ && now - s->write_started_ >= s->settings_.idle_timeout;
        // Nothing heard for a whole period and no answer still being resolved: either idle,
        // or owed answers wait on a client that neither reads nor opens its flow-control
        // window. Both are cut off, as is a write stalled that long.
        if (s->resolving_ == 0 || stalled)
            s->close();
        else
            s->arm_idle_timer();
    });
}

base::awaitable<void> Http2Session::run() {
    auto self = shared_from_this();
    flush();  // our SETTINGS first (the server connection preface)
    std::array<uint8_t, std::size_t{16} * 1024> buf;
    boost::system::error_code ec;
    // The idle timer is armed at the start and by progress (a request taken, an answer
    // written), never by bytes alone: one PING a second must not keep a connection open.
    arm_idle_timer();
    while (!closed_) {
        std::size_t n = co_await stream_->stream.async_read_some(
            asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        in_recv_ = true;
        ssize_t r = nghttp2_session_mem_recv(session_.get(), buf.data(), n);
        in_recv_ = false;
        if (r < 0) {
            P53_LOG(debug,
                    "DoH/2: closing a connection: " << nghttp2_strerror(static_cast<int>(r)));
            // nghttp2 has queued GOAWAY for protocol errors; let it go out, then close.
            flush();
            break;
        }
        flush();
    }
    idle_timer_.cancel();
    if (!writing_) close();
}

void Http2Session::flush() {
    if (writing_ || closed_ || in_recv_) return;
    if (!nghttp2_session_want_write(session_.get())) {
        if (!nghttp2_session_want_read(session_.get())) close();
        return;
    }
    writing_ = true;
    asio::co_spawn(
        stream_->stream.get_executor(), [self = shared_from_this()] { return self->write_loop(); },
        asio::detached);
}

base::awaitable<void> Http2Session::write_loop() {
    auto self = shared_from_this();
    std::vector<uint8_t>& out = write_buf_;
    boost::system::error_code ec;
    while (!closed_) {
        out.clear();
        // Gather frames of many streams into one write (one TLS record run, one syscall).
        while (out.size() < kMaxWriteBatch) {
            const uint8_t* data = nullptr;
            ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
            if (n < 0) {
                close();
                break;
            }
            if (n == 0) break;
            out.insert(out.end(), data, data + n);
        }
        if (out.empty() || closed_) break;
        write_started_ = std::chrono::steady_clock::now();
        co_await asio::async_write(stream_->stream, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) close();
    }
    writing_ = false;
    if (!closed_ && !nghttp2_session_want_read(session_.get()) &&
        !nghttp2_session_want_write(session_.get()))
        close();
}

void Http2Session::handle_request(int32_t id) {
    Stream& s = *streams_.find(id);
    if (s.body_too_big) {
        DohDecoded e;
        e.status = 413;
        e.error = "DNS message over 65535 bytes";
        doh_error(e, s.response);
        return respond(id);
    }
    HttpRequest req{s.method, s.path, s.content_type,
                    std::span(reinterpret_cast<const uint8_t*>(s.body.data()), s.body.size())};
    control_frames_ = 0;
    arm_idle_timer();
    // Decoded into one per thread: the front door takes the query before answer_query returns.
    thread_local DohDecoded d;
    decode_doh_request(req, settings_.doh_path, settings_.view_paths, d);
    s.body.clear();
    if (d.status != 200) {
        doh_error(d, s.response);
        return respond(id);
    }
    ++resolving_;
    base::counters().query(base::Transport::doh);
    // The reply refers to the session by plain pointer (small enough for std::function to
    // hold without allocating); answer_query keeps the session alive until it is called.
    answer_query(
        front_door_, d.query, peer_.data(), settings_.acl.get(), d.view ? d.view : view_,
        stream_->stream.get_executor(),
        [self = this, id, kind = d.kind](std::span<const uint8_t> reply) {
            --self->resolving_;
            if (Stream* s = self->closed_ ? nullptr : self->streams_.find(id)) {
                doh_answer(kind, reply, s->response);
                self->respond(id);
            }
        },
        server::ClientTransport::doh, shared_from_this());
}

void Http2Session::respond(int32_t id) {
    Stream* found = streams_.find(id);
    if (closed_ || !found) return;  // the client reset the stream meanwhile
    Stream& s = *found;
    arm_idle_timer();  // an answer is progress: idle from now
    control_frames_ = 0;
    s.sent = 0;
    char status[8], length[24];
    auto status_end = std::to_chars(std::begin(status), std::end(status), s.response.status).ptr;
    auto length_end =
        std::to_chars(std::begin(length), std::end(length), s.response.body.size()).ptr;
    std::array<nghttp2_nv, 5> nv{};
    std::size_t n = 0;
    nv[n++] = header(":status", std::string_view(status, status_end - status));
    nv[n++] = header("content-type", s.response.content_type);
    nv[n++] = header("content-length", std::string_view(length, length_end - length));
    if (!s.response.cache_control.empty())
        nv[n++] = header("cache-control", s.response.cache_control);
    if (!s.response.allow.empty()) nv[n++] = header("allow", s.response.allow);
    nghttp2_data_provider provider{};
    provider.read_callback = Http2Callbacks::read_body;
    // nghttp2 copies the header fields; the body is read from `s` as frames go out.
    if (nghttp2_submit_response(session_.get(), id, nv.data(), n, &provider) != 0)
        nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
    flush();
}

}  // namespace port53::transports
