// The front door every transport calls: checks a query, answers from the answer cache
// when it can (the hot path), and otherwise starts (or joins) a resolution.
#pragma once
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "engine/engine.hpp"
#include "server/acl.hpp"
#include "server/front_door.hpp"
#include "server/inflight.hpp"
#include "server/rate_limiter.hpp"
#include "server/tunnel_detector.hpp"
#include "upstream/cookies.hpp"

namespace port53::server {

// What of a client's query shapes the answer beyond the question (all part of the cache key).
struct ClientBits {
    bool dnssec_ok = false;  // DO: include RRSIGs and NSEC/NSEC3
    bool cd = false;         // checking disabled: return bogus data instead of SERVFAIL
    bool ad = false;         // AD asked for without DO (RFC 6840 §5.7)
    static ClientBits of(const wire::QueryView& q);
};

struct ServerSettings {
    uint16_t edns_buffer_size = 1232;  // the most we send over UDP, and what we advertise
    Acl acl = Acl::parse({"0.0.0.0/0 allow", "::/0 allow"});
    std::size_t max_inflight = 10'000;          // client questions waiting on resolutions at once
    std::size_t max_inflight_per_client = 256;  // of those, from one address (or IPv6 /64)
    bool prefetch = true;                       // refresh popular answers before they expire
    bool serve_stale = true;                    // RFC 8767: expired answers when authorities fail
    uint32_t max_stale = 86'400;                // how long past expiry an answer may still serve
    uint32_t stale_ttl = 30;
    RateLimitSettings rate_limit;  // UDP only
    TunnelSettings tunnel;
    // DNS cookies to clients (RFC 7873, RFC 9018); the secret is random per start unless
    // given (a fleet behind one address shares it, so any instance verifies any cookie).
    bool answer_cookies = true;
    std::optional<upstream::CookieSecret> cookie_secret;
};

// The front door every transport calls (server/front_door.hpp). `final`: calls on a
// Server (tests, the replay bed) are direct.
class Server final : public FrontDoor {
  public:
    Server(ServerSettings settings, engine::Engine& engine, cache::AnswerCache& answers,
           const base::Clock& clock);

    // See FrontDoor; `acl` null: the server's own access list.
    Fast handle_fast(std::span<const uint8_t> query, std::span<uint8_t> out, std::size_t& out_len,
                     ClientTransport t, const sockaddr* client = nullptr,
                     const Acl* acl = nullptr) override;
    void handle_slow(std::span<const uint8_t> query, ClientTransport t,
                     boost::asio::any_io_executor ex, Done done,
                     const sockaddr* client = nullptr) override;

    std::size_t inflight() const;
    // Shutting down: new questions are dropped, those in flight still get answers.
    void begin_drain() { draining_.store(true, std::memory_order_relaxed); }

    // Each worker thread names its executor once, for background work (prefetch) that
    // starts on the hot path.
    static void bind_worker_thread(boost::asio::any_io_executor ex);

  private:
    // RRL for an answer about to go out over UDP; may cut it to a TC slip. False: drop it.
    bool rate_limit_reply(ClientTransport t, const sockaddr* client, std::span<uint8_t> reply,
                          std::size_t& len);
    Fast answer_fast(std::span<const uint8_t> query, std::span<uint8_t> out, std::size_t& out_len,
                     ClientTransport t, AclAction access, const sockaddr* client);
    using CookieBuf =
        std::array<uint8_t, upstream::kClientCookieSize + upstream::kServerCookieSize>;
    // What limits a reply to `q`, and the COOKIE it carries (made in `cookie`).
    cache::ReplyLimits limits(const wire::QueryView& q, ClientTransport t, const sockaddr* client,
                              CookieBuf& cookie) const;
    std::size_t reply_with_rcode(const wire::QueryView& q, std::span<const uint8_t> query,
                                 uint16_t rcode, std::span<uint8_t> out,
                                 const cache::ReplyLimits& l);
    base::awaitable<void> resolve_and_reply(std::string key, wire::Name qname, uint16_t qtype,
                                            uint16_t qclass, ClientBits bits, bool refresh);
    void reply_to(const Waiter& w, const cache::StoredAnswer& answer, bool try_stale);
    void start_prefetch(const wire::QueryView& q);

    ServerSettings settings_;
    engine::Engine& engine_;
    cache::AnswerCache& answers_;
    const base::Clock& clock_;
    std::atomic<bool> draining_{false};
    RateLimiter limiter_;
    TunnelDetector tunnels_;
    upstream::CookieSecret cookie_secret_;
    InflightTable inflight_;
};

// Renders an engine outcome as a stored answer to the lower-cased question.
cache::StoredAnswer render_outcome(const engine::Outcome& o, const wire::Name& qname,
                                   uint16_t qtype, uint16_t qclass, ClientBits bits, uint32_t now);

}  // namespace port53::server
