// The front door every transport calls: checks a query, answers from the answer cache
// when it can (the hot path), and otherwise starts (or joins) a resolution.
#pragma once
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
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
#include "server/activity.hpp"
#include "server/dnstap.hpp"
#include "server/front_door.hpp"
#include "server/inflight.hpp"
#include "server/policy.hpp"
#include "server/query_log.hpp"
#include "server/rate_limiter.hpp"
#include "server/settings.hpp"
#include "server/tunnel_detector.hpp"
#include "server/views.hpp"
#include "upstream/cookies.hpp"

namespace port53::server {

// What of a client's query shapes the answer beyond the question (all part of the cache key).
struct ClientBits {
    bool dnssec_ok = false;  // DO: include RRSIGs and NSEC/NSEC3
    bool cd = false;         // checking disabled: return bogus data instead of SERVFAIL
    bool ad = false;         // AD asked for without DO (RFC 6840 §5.7)
    static ClientBits of(const wire::QueryView& q);
};

// The front door every transport calls (server/front_door.hpp). `final`: calls on a
// Server (tests, the replay bed) are direct.
class Server final : public FrontDoor {
  public:
    Server(ServerSettings settings, engine::Engine& engine, cache::AnswerCache& answers,
           const base::Clock& clock);

    // See FrontDoor; `acl` null: the server's own access list.
    Fast handle_fast(std::span<const uint8_t> query, std::span<uint8_t> out, std::size_t& out_len,
                     ClientTransport t, const sockaddr* client = nullptr, const Acl* acl = nullptr,
                     ViewId view = 0) override;
    void handle_slow(std::span<const uint8_t> query, ClientTransport t,
                     boost::asio::any_io_executor ex, Done done, const sockaddr* client = nullptr,
                     ViewId view = 0) override;

    // Split horizon (server/views.hpp): `engines[i]` resolves for view i + 1 (the engine
    // given to the constructor is view 0's). Called before any query arrives.
    void set_views(ViewSelector selector, std::vector<engine::Engine*> engines);

    // A reload (daemon/reload.hpp): from the next query on, `next` decides; returns the
    // policy it replaces, which the caller keeps until no worker can be using it any more.
    // One caller at a time.
    std::shared_ptr<const Policy> swap_policy(std::shared_ptr<const Policy> next);
    std::shared_ptr<const Policy> current_policy() const { return owned_; }

    std::size_t inflight() const;
    // The questions being resolved now (port53-ctl list-inflight).
    struct InflightQuestion {
        std::string name;
        uint16_t type;
        std::chrono::milliseconds age;
        std::size_t waiters;  // clients waiting; 0 for a prefetch
    };
    std::vector<InflightQuestion> inflight_list() const;
    // What the front door counted, for the statistics (issue 12).
    struct Counts {
        uint64_t rate_limited = 0;     // answers dropped or slipped by RRL
        uint64_t tunnel_suspects = 0;  // queries that looked like tunnelling
        uint64_t tunnel_refused = 0;   // of those, refused under a guarded domain
    };
    Counts counts() const {
        const Policy& p = policy();
        return {p.limiter->limited(), p.tunnels->flagged(), p.tunnels->refused()};
    }
    // Shutting down: new questions are dropped, those in flight still get answers.
    void begin_drain() { draining_.store(true, std::memory_order_relaxed); }
    bool draining() const override { return draining_.load(std::memory_order_relaxed); }
    // The workers have stopped: forgets the clients still waiting. Their completions hold
    // transport objects (sessions, timers) of the workers' io_contexts, so this must run
    // before those are destroyed.
    void abandon_waiters() { inflight_.clear(); }

    // Each worker thread names its executor once, for background work (prefetch) that
    // starts on the hot path.
    static void bind_worker_thread(boost::asio::any_io_executor ex);

    // NOTIFY (RFC 1996) goes to whoever holds secondary zones (the daemon wires it): given
    // the message and its sender, it writes the reply into `out` and returns its length (0:
    // drop). Set before the listeners start.
    using NotifyHandler = std::function<std::size_t(
        std::span<const uint8_t> query, const sockaddr* client, std::span<uint8_t> out)>;
    void set_notify_handler(NotifyHandler h) { notify_ = std::move(h); }
    // What sees each query and its answer: the query log (server/query_log.hpp) and dnstap's
    // client messages (server/dnstap.hpp); null: off. Set before the listeners start.
    struct Taps {
        QueryLog* log = nullptr;
        Dnstap* dnstap = nullptr;
        Activity* activity = nullptr;  // the web console's (server/activity.hpp)
    };
    void set_taps(Taps t) {
        taps_ = t;
        if (t.dnstap && !t.dnstap->client()) taps_.dnstap = nullptr;
        tapped_ = taps_.log || taps_.dnstap || taps_.activity;
    }

  private:
    // handle_fast() without the taps.
    Fast check_and_answer(std::span<const uint8_t> query, std::span<uint8_t> out,
                          std::size_t& out_len, ClientTransport t, const sockaddr* client,
                          const Acl* acl, ViewId view);
    Fast handle_fast_tapped(std::span<const uint8_t> query, std::span<uint8_t> out,
                            std::size_t& out_len, ClientTransport t, const sockaddr* client,
                            const Acl* acl, ViewId view);
    // `done`, showing the reply to the taps first.
    Done tapped(Done done, std::span<const uint8_t> query, ClientTransport t,
                const sockaddr* client);
    // The answer to `query` goes to the taps (it was asked at `start`, `start_ns`).
    void tap_answer(std::span<const uint8_t> query, std::span<const uint8_t> reply,
                    ClientTransport t, const sockaddr* client, bool cache_hit,
                    std::chrono::steady_clock::time_point start, int64_t start_ns);
    // The policy of this query: one plain load on the hot path.
    const Policy& policy() const { return *current_.load(std::memory_order_acquire); }
    // RRL for an answer about to go out over UDP; may cut it to a TC slip. False: drop it.
    static bool rate_limit_reply(const Policy& p, ClientTransport t, const sockaddr* client,
                                 std::span<uint8_t> reply, std::size_t& len);
    Fast answer_fast(const Policy& p, std::span<const uint8_t> query, std::span<uint8_t> out,
                     std::size_t& out_len, ClientTransport t, AclAction access,
                     const sockaddr* client, ViewId view);
    using CookieBuf =
        std::array<uint8_t, upstream::kClientCookieSize + upstream::kServerCookieSize>;
    // What limits a reply to `q`, and the COOKIE it carries (made in `cookie`).
    cache::ReplyLimits limits(const Policy& p, const wire::QueryView& q, ClientTransport t,
                              const sockaddr* client, CookieBuf& cookie) const;
    std::size_t reply_with_rcode(const wire::QueryView& q, std::span<const uint8_t> query,
                                 uint16_t rcode, std::span<uint8_t> out,
                                 const cache::ReplyLimits& l);
    // `p` is held for as long as the resolution runs: its engine must outlive it.
    base::awaitable<void> resolve_and_reply(std::shared_ptr<const Policy> p, std::string key,
                                            wire::Question q, ClientBits bits, bool refresh,
                                            ViewId view);
    void reply_to(const Policy& p, const Waiter& w, const cache::StoredAnswer& answer,
                  bool try_stale);
    void start_prefetch(const Policy& p, const wire::QueryView& q, ViewId view);

    std::shared_ptr<const Policy> owned_;  // what current_ points at
    std::atomic<const Policy*> current_;
    cache::AnswerCache& answers_;
    const base::Clock& clock_;
    std::atomic<bool> draining_{false};
    InflightTable inflight_;
    NotifyHandler notify_;
    Taps taps_;
    bool tapped_ = false;
};

// Renders an engine outcome as a stored answer to the lower-cased question.
cache::StoredAnswer render_outcome(const engine::Outcome& o, const wire::Question& q,
                                   ClientBits bits, uint32_t now);

}  // namespace port53::server
