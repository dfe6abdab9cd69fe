#include "daemon/console_listener.hpp"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <future>

#include "base/log.hpp"
#include "daemon/console_profiles.hpp"
#include "daemon/control_line.hpp"
#include "server/query_log.hpp"

namespace port53::daemon {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using Tcp = asio::ip::tcp;

namespace {

constexpr int kMaxConnections = 32;  // a few browsers, each with a few connections
constexpr auto kIdle = std::chrono::seconds(30);
constexpr std::size_t kMaxHeader = 8192, kMaxBody = 16384;
constexpr int kMaxRequests = 1000;                       // per connection
constexpr auto kCommandWait = std::chrono::seconds(30);  // a reload reads every list

// Every answer: never cached, never framed by another site, scripts only from here
// (the page has no inline script), no referrer leaves it.
void secure_headers(http::response<http::string_body>& res) {
    res.set(http::field::server, "port53");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "no-referrer");
    res.set("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'");
}

// The views as configured: who is in each and what it has of its own.
std::string views_json(const conf::Config& cfg) {
    std::string out = "[";
    for (const auto& v : cfg.views) {
        out += out.size() > 1 ? ",{\"name\":" : "{\"name\":";
        server::append_json_string(out, v.name);
        out += ",\"clients\":";
        append_json_strings(out, v.clients);
        out += ",\"listeners\":";
        append_json_strings(out, v.listeners);
        out += ",\"doh_paths\":";
        append_json_strings(out, v.doh_paths);
        out += std::string(",\"inherit\":") + (v.inherit ? "true" : "false") +
               ",\"local_records\":" + std::to_string(v.local.data.size()) +
               ",\"blocked_names\":" + std::to_string(v.blocklist.block.size()) +
               ",\"forward_zones\":" + std::to_string(v.forward_zones.size()) +
               ",\"stub_zones\":" + std::to_string(v.stub_zones.size()) + "}";
    }
    return out + "]";
}

ConsoleSettings api_settings(const conf::Config& cfg) {
    const auto& c = cfg.console;
    ConsoleSettings s{
        c.password_hash, std::chrono::seconds(c.session_ttl), c.login_attempts, c.state_file, {}};
    const auto& b = cfg.blocklist;
    for (const auto* lists : {&b.files, &b.urls, &b.rpz_files})
        s.lists.insert(s.lists.end(), lists->begin(), lists->end());
    s.views_json = views_json(cfg);
    return s;
}

}  // namespace

ssl::context console_tls_context(const conf::Config& cfg) {
    const auto& c = cfg.console;
    if (!valid_password_hash(c.password_hash))
        throw std::runtime_error(
            "console.password_hash: not an scrypt hash from port53d --hash-password");
    const std::string& cert = c.certificate.empty() ? cfg.tls.certificate : c.certificate;
    const std::string& key = c.certificate.empty() ? cfg.tls.private_key : c.private_key;
    ssl::context ctx(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    ctx.use_certificate_chain_file(cert, ec);
    if (ec) throw std::runtime_error("console certificate " + cert + ": " + ec.message());
    ctx.use_private_key_file(key, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("console private key " + key + ": " + ec.message());
    static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_select_cb(
        ctx.native_handle(),
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
           unsigned inlen, void*) {
            // HTTP/1.1 only: a browser offering h2 as well settles on it.
            unsigned char* sel = nullptr;
            if (SSL_select_next_proto(&sel, outlen, kAlpn, sizeof kAlpn, in, inlen) !=
                OPENSSL_NPN_NEGOTIATED)
                return SSL_TLSEXT_ERR_NOACK;
            *out = sel;
            return SSL_TLSEXT_ERR_OK;
        },
        nullptr);
    return ctx;
}

ConsoleListener::ConsoleListener(const conf::Config& cfg, ConsoleApi::Command command,
                                 const server::Activity* activity)
    : ctx_(console_tls_context(cfg)),
      acceptor_(io_),
      acl_(server::Acl::parse(cfg.console.acl)),
      api_(api_settings(cfg), std::move(command), client_profile_inputs(cfg), activity) {
    conf::ListenAddress a = conf::parse_listen_address(cfg.console.listen);
    Tcp::endpoint at(asio::ip::make_address(a.ip), a.port);
    boost::system::error_code ec;
    acceptor_.open(at.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("console.listen " + cfg.console.listen + ": " + ec.message());
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
}

ConsoleListener::~ConsoleListener() {
    io_.stop();
    thread_.join();
}

base::awaitable<void> ConsoleListener::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        Tcp::socket socket(io_);
        co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) continue;
        auto peer = socket.remote_endpoint(ec);
        if (ec || acl_.check(peer.data()) != server::AclAction::allow || open_ >= kMaxConnections)
            continue;  // closed unanswered
        asio::co_spawn(io_, serve(std::move(socket), peer.address().to_string()), asio::detached);
    }
}

base::awaitable<void> ConsoleListener::serve(Tcp::socket socket, std::string client) {
    ++open_;
    ssl::stream<Tcp::socket> stream(std::move(socket), ctx_);
    asio::steady_timer deadline(io_);
    auto arm = [&] {
        deadline.expires_after(kIdle);
        deadline.async_wait([&stream](boost::system::error_code e) {
            if (!e) stream.lowest_layer().close(e);
        });
    };
    arm();
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    co_await stream.async_handshake(ssl::stream_base::server, redirect);
    boost::beast::flat_buffer buffer;
    for (int n = 0; !ec && n < kMaxRequests; ++n) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kMaxHeader);
        parser.body_limit(kMaxBody);
        co_await http::async_read(stream, buffer, parser, redirect);
        if (ec) break;
        const auto& req = parser.get();
        auto sv = [](boost::beast::string_view v) { return std::string_view(v.data(), v.size()); };
        ConsoleRequest r{sv(req.method_string()),      sv(req.target()),        req.body(),
                         sv(req[http::field::cookie]), sv(req["X-CSRF-Token"]), client};
        ConsoleResponse out = api_.handle(r, ConsoleClock::now());
        http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
        secure_headers(res);
        res.set(http::field::content_type, out.type);
        for (const auto& [k, v] : out.headers) res.set(k, v);
        res.keep_alive(req.keep_alive());
        res.body() = std::move(out.body);
        res.prepare_payload();
        arm();
        co_await http::async_write(stream, res, redirect);
        if (!req.keep_alive()) break;
    }
    if (!ec) co_await stream.async_shutdown(redirect);
    deadline.cancel();
    --open_;
}

std::unique_ptr<ConsoleListener> open_console(const conf::Config& cfg, asio::io_context& worker0,
                                              ControlTargets& targets,
                                              const server::Activity* activity) {
    if (cfg.console.listen.empty()) return nullptr;
    // A command runs on worker 0, where port53-ctl's do; the console's thread waits for it
    // (bounded: while the daemon shuts down worker 0 may no longer run it).
    auto command = [&worker0, &targets](const std::string& line) {
        auto done = std::make_shared<std::promise<std::string>>();
        auto answer = done->get_future();
        asio::post(worker0, [done, line, &targets, &worker0] {
            // A reload is awaited on the worker, which serves queries meanwhile.
            if (const DeferredCommand* deferred = deferred_command(line)) {
                asio::co_spawn(worker0, (*deferred)(line),
                               [done](const std::exception_ptr& e, std::string answer) {
                                   done->set_value(e ? std::string("error: the command failed\n")
                                                     : std::move(answer));
                               });
                return;
            }
            done->set_value(control_command(line, targets));
        });
        // Checked in slices: once the workers stop (shutdown), nothing will run it.
        auto give_up = std::chrono::steady_clock::now() + kCommandWait;
        while (answer.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
            if (worker0.stopped() || std::chrono::steady_clock::now() > give_up)
                return std::string("error: the daemon is busy or stopping\n");
        return answer.get();
    };
    auto listener = std::make_unique<ConsoleListener>(cfg, command, activity);
    P53_LOG(info, "web console on https://" << cfg.console.listen << "/");
    return listener;
}

}  // namespace port53::daemon
