// DNS over TLS to configured upstream resolvers (RFC 7858), in RFC 8310's strict profile:
// the server's certificate chain must verify against the system store or a given CA file,
// and carry the authentication name configured for that address (RFC 6125 matching, the
// name also sent as SNI). Any failure fails the exchange; nothing here ever falls back to
// plain DNS (Unbound once did, unbound#676). Port 853 and ALPN "dot" are the caller's and
// this file's defaults respectively.
//
// Connections are reused: after an answer a connection goes back to an idle pool of its
// io_context (one per worker, so a socket never leaves its thread), and the next question
// to that server takes it. One question at a time per connection (no pipelining): questions
// that overlap open connections of their own, up to kMaxIdle of which are kept. TLS
// sessions are kept per server for resumption (RFC 8446 §2.2, RFC 5077) when a new
// connection is needed.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "upstream/network.hpp"

struct ssl_session_st;  // OpenSSL's SSL_SESSION

namespace boost::asio::ssl {
class context;
}

namespace port53::upstream {

struct TlsUpstreamError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct TlsUpstreamSettings {
    // The name each DoT server's certificate must hold; a server not listed is never asked
    // over TLS (the exchange fails).
    std::map<ServerAddr, std::string> auth_names;
    std::string ca_file;  // PEM bundle of trusted CAs; empty: the system's store
    // How long an idle connection is kept (servers close theirs too: Unbound after 30 s).
    std::chrono::milliseconds idle_timeout{10'000};
};

class TlsUpstream {
  public:
    // Throws TlsUpstreamError naming the CA file when it cannot be read or holds no
    // certificate.
    explicit TlsUpstream(TlsUpstreamSettings settings);
    ~TlsUpstream();
    TlsUpstream(const TlsUpstream&) = delete;
    TlsUpstream& operator=(const TlsUpstream&) = delete;

    // One query and its response. `source`: the local address to bind, if any. Status ok
    // only for a response that matches the query, from an authenticated server.
    base::awaitable<ExchangeResult> exchange(const ServerAddr& server,
                                             std::span<const uint8_t> query,
                                             std::optional<ServerAddr> source,
                                             std::chrono::milliseconds timeout);

    // Connections opened and TLS sessions resumed so far (for tests and statistics).
    uint64_t connections_opened() const { return opened_; }
    uint64_t sessions_resumed() const { return resumed_; }

    static constexpr std::size_t kMaxIdle = 4;  // per server and worker

    struct Connection;

  private:
    struct SessionFree {
        void operator()(ssl_session_st* s) const;
    };
    using Session = std::unique_ptr<ssl_session_st, SessionFree>;

    base::awaitable<std::shared_ptr<Connection>> connect(const ServerAddr& server,
                                                         const std::string& name,
                                                         std::optional<ServerAddr> source,
                                                         std::chrono::steady_clock::time_point end);
    void remember_session(const ServerAddr& server, Connection& conn);

    TlsUpstreamSettings settings_;
    std::unique_ptr<boost::asio::ssl::context> ctx_;
    uint64_t id_;  // tells this instance's pooled connections from another's
    std::mutex sessions_mutex_;
    std::map<ServerAddr, Session> sessions_;
    std::atomic<uint64_t> opened_{0}, resumed_{0};
};

}  // namespace port53::upstream
