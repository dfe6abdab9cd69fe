#include "upstream/tls_upstream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <vector>

#include "base/log.hpp"
#include "base/openssl_error.hpp"
#include "upstream/asio_address.hpp"
#include "wire/message.hpp"
#include "wire/types.hpp"

namespace port53::upstream {
using base::openssl_error;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct TlsUpstream::Connection {
    Connection(const asio::any_io_executor& ex, ssl::context& ctx) : stream(ex, ctx) {}
    ssl::stream<tcp::socket> stream;
    Clock::time_point idle_since;
};

namespace {

// The client context every DoT connection is made from: TLS 1.2 or later (RFC 8310 §9,
// RFC 7525), the peer's chain verified (the handshake fails otherwise), ALPN "dot" offered
// (RFC 7858 has none; "dot" is registered for it by RFC 9461 and servers ignore it or pick
// it).
std::unique_ptr<ssl::context> client_context(const std::string& ca_file) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* raw = ctx->native_handle();
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
    if (ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(raw) != 1)
            throw TlsUpstreamError("cannot load the system's CA store: " + openssl_error());
    } else {
        if (!std::ifstream(ca_file)) throw TlsUpstreamError(ca_file + ": cannot read the CA file");
        if (SSL_CTX_load_verify_locations(raw, ca_file.c_str(), nullptr) != 1)
            throw TlsUpstreamError(ca_file + ": no valid CA certificate: " + openssl_error());
    }
    static const unsigned char kAlpn[] =
        "\x03"
        "dot";
    SSL_CTX_set_alpn_protos(raw, kAlpn, sizeof kAlpn - 1);  // 0 on success (sic)
    // Sessions are kept by TlsUpstream per server, not in the context's client cache.
    SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
    return ctx;
}

// Idle connections of one io_context, as an Asio service: it is destroyed with its
// io_context, so no socket outlives the reactor it is registered with, and a worker only
// ever sees its own connections. The mutex only guards against an io_context run by
// several threads.
class TlsPool : public asio::execution_context::service {
  public:
    // NOLINTNEXTLINE(bugprone-dynamic-static-initializers): Asio's service id idiom
    static inline asio::execution_context::id id;
    explicit TlsPool(asio::execution_context& ctx) : service(ctx) {}

    using Conn = std::shared_ptr<TlsUpstream::Connection>;
    using Key = std::pair<uint64_t, ServerAddr>;

    // The most recently used idle connection, unless older than `max_idle`.
    Conn take(const Key& key, std::chrono::milliseconds max_idle) {
        std::lock_guard lock(mutex_);
        auto it = idle_.find(key);
        if (it == idle_.end()) return nullptr;
        auto& conns = it->second;
        auto now = Clock::now();
        std::erase_if(conns, [&](const Conn& c) { return now - c->idle_since > max_idle; });
        if (conns.empty()) {
            idle_.erase(it);
            return nullptr;
        }
        Conn c = std::move(conns.back());
        conns.pop_back();
        return c;
    }

    void give(const Key& key, Conn conn) {
        std::lock_guard lock(mutex_);
        auto& conns = idle_[key];
        if (conns.size() >= TlsUpstream::kMaxIdle) conns.erase(conns.begin());  // the oldest
        conn->idle_since = Clock::now();
        conns.push_back(std::move(conn));
    }

  private:
    void shutdown() override {
        std::lock_guard lock(mutex_);
        idle_.clear();
    }
    std::mutex mutex_;
    std::map<Key, std::vector<Conn>> idle_;
};

// Closes the connection's socket when the deadline passes, which fails whatever operation
// is pending on it (and so the exchange). Holds the connection weakly: a timer that fires
// late never touches a connection already gone.
class Deadline {
  public:
    Deadline(const asio::any_io_executor& ex, const std::shared_ptr<TlsUpstream::Connection>& c,
             Clock::time_point end)
        : timer_(ex, end) {
        timer_.async_wait([weak = std::weak_ptr(c)](boost::system::error_code ec) {
            if (ec) return;
            if (auto conn = weak.lock()) {
                boost::system::error_code ignored;
                conn->stream.lowest_layer().close(ignored);
            }
        });
    }
    // Destroying the timer cancels its wait (the handler then sees operation_aborted).
    ~Deadline() = default;
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

  private:
    asio::steady_timer timer_;
};

// One query and its response over an open connection, framed with the 2-byte length of
// RFC 7858 §3.3 (as TCP, RFC 1035 §4.2.2). Empty on any failure or a mismatched response.
base::awaitable<std::vector<uint8_t>> ask_on(TlsUpstream::Connection& conn,
                                             std::span<const uint8_t> query) {
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    uint8_t len[2];
    wire::store16(len, static_cast<uint16_t>(query.size()));
    // One write for length and message: two TLS records would cost a second packet.
    std::vector<uint8_t> out(len, len + 2);
    out.insert(out.end(), query.begin(), query.end());
    co_await asio::async_write(conn.stream, asio::buffer(out), redirect);
    if (!ec) co_await asio::async_read(conn.stream, asio::buffer(len), redirect);
    std::vector<uint8_t> buf(ec ? 0 : wire::load16(len));
    if (!ec) co_await asio::async_read(conn.stream, asio::buffer(buf), redirect);
    if (ec || !wire::response_matches_query(query, buf)) buf.clear();
    co_return buf;
}

}  // namespace

void TlsUpstream::SessionFree::operator()(SSL_SESSION* s) const {
    SSL_SESSION_free(s);
}

TlsUpstream::TlsUpstream(TlsUpstreamSettings settings)
    : settings_(std::move(settings)), ctx_(client_context(settings_.ca_file)) {
    static std::atomic<uint64_t> next_id{1};
    id_ = next_id.fetch_add(1, std::memory_order_relaxed);
}

TlsUpstream::~TlsUpstream() = default;

base::awaitable<std::shared_ptr<TlsUpstream::Connection>> TlsUpstream::connect(
    const ServerAddr& server, const std::string& name, std::optional<ServerAddr> source,
    Clock::time_point end) {
    auto ex = co_await asio::this_coro::executor;
    auto conn = std::make_shared<Connection>(ex, *ctx_);
    Deadline deadline(ex, conn, end);
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    tcp::socket& sock = conn->stream.next_layer();
    tcp::endpoint peer(to_asio(server), server.port);
    sock.open(peer.protocol(), ec);
    if (!ec && source) sock.bind(tcp::endpoint(to_asio(*source), 0), ec);
    if (!ec) co_await sock.async_connect(peer, redirect);
    if (!ec) sock.set_option(tcp::no_delay(true), ec);
    if (ec) co_return nullptr;
    SSL* ssl = conn->stream.native_handle();
    // The name goes out as SNI (RFC 8310 §8.1) and is what the certificate must name
    // (RFC 6125 via OpenSSL's host check, run inside the chain verification).
    if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1 || SSL_set1_host(ssl, name.c_str()) != 1)
        co_return nullptr;
    {
        std::lock_guard lock(sessions_mutex_);
        if (auto it = sessions_.find(server); it != sessions_.end())
            SSL_set_session(ssl, it->second.get());
    }
    co_await conn->stream.async_handshake(ssl::stream_base::client, redirect);
    if (ec) {
        long verify = SSL_get_verify_result(ssl);
        P53_LOG(warning, "DoT to " << server.to_string() << " (" << name << ") failed: "
                                   << (verify != X509_V_OK ? X509_verify_cert_error_string(verify)
                                                           : ec.message())
                                   << "; not asked");
        std::lock_guard lock(sessions_mutex_);
        sessions_.erase(server);  // never resume what did not work
        co_return nullptr;
    }
    opened_.fetch_add(1, std::memory_order_relaxed);
    if (SSL_session_reused(ssl)) resumed_.fetch_add(1, std::memory_order_relaxed);
    co_return conn;
}

void TlsUpstream::remember_session(const ServerAddr& server, Connection& conn) {
    // Read after a response, so that TLS 1.3 tickets (sent after the handshake) are in. A
    // copy: OpenSSL marks a connection's own session not resumable when the connection is
    // freed without a TLS shutdown, which is how idle ones end here.
    SSL_SESSION* current = SSL_get_session(conn.stream.native_handle());
    Session s(current ? SSL_SESSION_dup(current) : nullptr);
    if (!s || SSL_SESSION_is_resumable(s.get()) != 1) return;
    std::lock_guard lock(sessions_mutex_);
    sessions_[server] = std::move(s);
}

base::awaitable<ExchangeResult> TlsUpstream::exchange(const ServerAddr& server,
                                                      std::span<const uint8_t> query,
                                                      std::optional<ServerAddr> source,
                                                      std::chrono::milliseconds timeout) {
    ExchangeResult result;
    auto start = Clock::now();
    auto end = start + timeout;
    auto name = settings_.auth_names.find(server);
    if (name == settings_.auth_names.end() || name->second.empty()) {
        P53_LOG(warning, "DoT to " << server.to_string() << ": no authentication name");
        co_return result;  // unauthenticated TLS is not offered at all: fail closed
    }
    auto ex = co_await asio::this_coro::executor;
    auto& pool = asio::use_service<TlsPool>(asio::query(ex, asio::execution::context));
    TlsPool::Key key{id_, server};
    // A pooled connection the server has closed since shows as a failure before any
    // answer: then once more on a fresh one.
    for (int attempt = 0; attempt < 2 && result.response.empty(); ++attempt) {
        auto conn = pool.take(key, settings_.idle_timeout);
        bool reused = conn != nullptr;
        if (!conn) conn = co_await connect(server, name->second, source, end);
        if (!conn) break;
        {
            Deadline deadline(ex, conn, end);
            result.response = co_await ask_on(*conn, query);
        }
        if (!result.response.empty()) {
            remember_session(server, *conn);
            pool.give(key, std::move(conn));
        } else if (!reused || Clock::now() >= end) {
            break;
        }
    }
    if (!result.response.empty())
        result.status = ExchangeResult::Status::ok;
    else if (Clock::now() >= end)
        result.status = ExchangeResult::Status::timeout;
    result.rtt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    co_return result;
}

}  // namespace port53::upstream
