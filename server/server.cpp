#include "server/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cstring>

#include "base/counters.hpp"
#include "base/log.hpp"
#include "server/security_log.hpp"
#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::server {
namespace asio = boost::asio;
using namespace wire;

namespace {

thread_local std::optional<asio::any_io_executor> t_worker;
// Set when the answer cache answered the query being handled (for the query log; a plain
// store, so the hit path stays free of branches for it).
thread_local bool t_cache_hit = false;
constexpr uint32_t kAnyTtl = 3600;

// The question of a query, its name lower-cased (off the cache-hit path: it allocates).
// parse_query read the name: it is valid.
Question question_of(const QueryView& q) {
    return Question{
        Name::from_wire(std::string_view(reinterpret_cast<const char*>(q.qname), q.qname_len))
            .value(),
        q.qtype, q.qclass};
}

// RRL's "slip": the same reply cut to header and question with TC set, so a real client
// retries over TCP; returns the new length.
std::size_t truncate_to_question(std::span<uint8_t> reply) {
    std::size_t pos = kHeaderSize;
    if (!read_name(reply, pos)) return kHeaderSize;
    store16(&reply[2], load16(&reply[2]) | flag::TC);
    store16(&reply[4], 1);
    for (std::size_t at : {6u, 8u, 10u}) store16(&reply[at], 0);
    return std::min(pos + 4, reply.size());
}

// RFC 1996 §3.1: opcode NOTIFY (4), a request (QR clear).
bool is_notify(std::span<const uint8_t> query) {
    return query.size() >= kHeaderSize && (load16(&query[2]) & (flag::QR | 0x7800)) == 4 << 11;
}

bool is_zone_transfer_or_meta(uint16_t t) {
    return t == type::AXFR || t == type::IXFR || t == type::MAILB || t == type::MAILA;
}

// Each client that asked gets a line: who was (or would have been) handed forged data.
void log_bogus(const Question& q, const std::vector<Waiter>& waiters) {
    std::string detail =
        q.name.to_text() + " type " + std::to_string(q.type) + ": DNSSEC validation failed (bogus)";
    for (const auto& w : waiters) {
        const auto* c = reinterpret_cast<const sockaddr*>(&w.client);
        log_security_event(SecurityEvent::bogus, c->sa_family == AF_UNSPEC ? nullptr : c, detail);
    }
}

// RFC 8482 §4.2: answer ANY with one synthesised HINFO record instead of everything.
cache::StoredAnswer any_answer(const QueryView& q, uint32_t now) {
    std::string hinfo = "\x07RFC8482";
    hinfo.push_back('\0');
    Question question = question_of(q);
    engine::Outcome o{
        rcode::NOERROR, {Record{question.name, type::HINFO, q.qclass, kAnyTtl, hinfo}}, {}};
    return render_outcome(o, question, ClientBits::of(q), now);
}

// An answer about to be sent, counted by its rcode (the header's four bits).
void count_reply(std::span<const uint8_t> reply) {
    if (reply.size() >= kHeaderSize) base::counters().rcode(reply[3]);
}

base::Validation validation_of(Security s) {
    switch (s) {
        case Security::secure:
            return base::Validation::secure;
        case Security::insecure:
            return base::Validation::insecure;
        case Security::bogus:
            return base::Validation::bogus;
        case Security::unchecked:
            break;
    }
    return base::Validation::indeterminate;
}

}  // namespace

ClientBits ClientBits::of(const QueryView& q) {
    return ClientBits{q.dnssec_ok, q.cd(), (q.flags & flag::AD) != 0};
}

cache::StoredAnswer render_outcome(const engine::Outcome& o, const Question& q, ClientBits bits,
                                   uint32_t now) {
    // Bogus data is withheld (SERVFAIL + EDE) unless the client disabled checking.
    bool withheld = o.security == Security::bogus && !bits.cd;
    uint16_t rc = withheld ? rcode::SERVFAIL : o.rcode;
    uint16_t flags = static_cast<uint16_t>(flag::QR | flag::RA | (rc & 0xF));
    if (o.security == Security::secure && (bits.dnssec_ok || bits.ad)) flags |= flag::AD;
    if (o.authoritative && !withheld && rc != rcode::SERVFAIL) flags |= flag::AA;
    // DNSSEC records go only to clients that set DO, unless they asked for that very type.
    auto keep = [&](const Record& r) {
        bool dnssec_type = r.type == type::RRSIG || r.type == type::NSEC || r.type == type::NSEC3;
        return bits.dnssec_ok || !dnssec_type || r.type == q.type;
    };
    MessageBuilder b(kMaxMessageSize);
    b.header(0, flags);
    b.question(q.name, q.type, q.cls);
    if (!withheld) {
        for (const auto& r : o.answer)
            if (keep(r)) b.add(Section::answer, r);
        for (const auto& r : o.authority)
            if (keep(r) && (bits.dnssec_ok || o.rcode != rcode::NOERROR || o.answer.empty()))
                b.add(Section::authority, r);
    }
    uint16_t code = o.ede;
    if (withheld && code == ede::none) code = ede::dnssec_bogus;
    return cache::make_stored_answer(b.bytes(), b.ttl_offsets(), now, code);
}

Policy::Policy(ServerSettings s, engine::Engine& default_engine, const Policy* previous)
    : settings(std::move(s)), engine(&default_engine) {
    bool same_limits = previous && previous->settings.rate_limit == settings.rate_limit;
    limiter = same_limits ? previous->limiter : std::make_shared<RateLimiter>(settings.rate_limit);
    bool same_tunnel = previous && previous->settings.tunnel == settings.tunnel;
    tunnels = same_tunnel ? previous->tunnels : std::make_shared<TunnelDetector>(settings.tunnel);
    cookie_secret = settings.cookie_secret ? *settings.cookie_secret
                    : previous && !previous->settings.cookie_secret
                        ? previous->cookie_secret
                        : upstream::random_cookie_secret();
}

Server::Server(ServerSettings settings, engine::Engine& engine, cache::AnswerCache& answers,
               const base::Clock& clock)
    : owned_(std::make_shared<const Policy>(std::move(settings), engine)),
      current_(owned_.get()),
      answers_(answers),
      clock_(clock),
      inflight_({owned_->settings.max_inflight, owned_->settings.max_inflight_per_client}) {}

std::shared_ptr<const Policy> Server::swap_policy(std::shared_ptr<const Policy> next) {
    current_.store(next.get(), std::memory_order_release);
    return std::exchange(owned_, std::move(next));
}

cache::ReplyLimits Server::limits(const Policy& p, const QueryView& q, ClientTransport t,
                                  const sockaddr* client, CookieBuf& cookie) const {
    const ServerSettings& s = p.settings;
    std::size_t max = t != ClientTransport::udp ? kMaxMessageSize
                      : q.edns                  ? std::min(q.udp_size, s.edns_buffer_size)
                                                : kMinUdpSize;
    cache::ReplyLimits l{max, s.edns_buffer_size};
    // RFC 7873 §5.2: a client that sent a cookie gets a fresh server cookie back, whatever
    // copy of ours it sent (we do not require one, so we never answer BADCOOKIE).
    if (s.answer_cookies && q.edns && q.cookie_len >= upstream::kClientCookieSize) {
        upstream::make_server_cookie(std::span<const uint8_t, upstream::kClientCookieSize>(
                                         q.cookie, upstream::kClientCookieSize),
                                     client, clock_.unix_now(), p.cookie_secret, cookie);
        l.cookie = cookie;
    }
    return l;
}

std::size_t Server::reply_with_rcode(const QueryView& q, std::span<const uint8_t> query,
                                     uint16_t rc, std::span<uint8_t> out,
                                     const cache::ReplyLimits& l) {
    cache::StoredAnswer a = render_outcome(engine::Outcome{rc, {}, {}}, question_of(q),
                                           ClientBits::of(q), clock_.now());
    return cache::render_reply(a.blob, q, query, out, l, clock_.now());
}

void Server::set_views(ViewSelector selector, std::vector<engine::Engine*> engines) {
    auto p = std::make_shared<Policy>(*owned_);
    p->view_selector = std::move(selector);
    p->views = std::move(engines);
    swap_policy(std::move(p));  // before any query: nobody holds the old one
}

Server::Fast Server::handle_fast(std::span<const uint8_t> query, std::span<uint8_t> out,
                                 std::size_t& out_len, ClientTransport t, const sockaddr* client,
                                 const Acl* acl, ViewId view) {
    // Off, the query log and dnstap cost this one branch.
    if (tapped_) [[unlikely]]
        return handle_fast_tapped(query, out, out_len, t, client, acl, view);
    return check_and_answer(query, out, out_len, t, client, acl, view);
}

Server::Fast Server::handle_fast_tapped(std::span<const uint8_t> query, std::span<uint8_t> out,
                                        std::size_t& out_len, ClientTransport t,
                                        const sockaddr* client, const Acl* acl, ViewId view) {
    auto start = std::chrono::steady_clock::now();
    int64_t start_ns = dnstap_now_ns();
    // Every query comes here first, answered at once or not.
    if (taps_.dnstap)
        taps_.dnstap->write(
            {DnstapType::client_query, dnstap_protocol(t), client, start_ns, 0, query});
    t_cache_hit = false;
    Fast f = check_and_answer(query, out, out_len, t, client, acl, view);
    if (f == Fast::answered)
        tap_answer(query, out.first(out_len), t, client, t_cache_hit, start, start_ns);
    return f;
}

void Server::tap_answer(std::span<const uint8_t> query, std::span<const uint8_t> reply,
                        ClientTransport t, const sockaddr* client, bool cache_hit,
                        std::chrono::steady_clock::time_point start, int64_t start_ns) {
    if (taps_.dnstap)
        taps_.dnstap->write({DnstapType::client_response, dnstap_protocol(t), client, start_ns,
                             dnstap_now_ns(), reply});
    if (!taps_.log && !taps_.activity) return;
    auto elapsed = std::chrono::steady_clock::now() - start;
    QueryView q;
    parse_query(query, q);
    ReplySummary summary = summarise_reply(reply);
    QueryRecord record{std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count(),
                       client,
                       t,
                       std::span<const uint8_t>(q.qname, q.qname_len),
                       q.qtype,
                       summary.rcode,
                       summary.ede,
                       cache_hit,
                       static_cast<uint64_t>(
                           std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count())};
    if (taps_.log) taps_.log->write(record);
    if (taps_.activity) taps_.activity->record(record);
}

Server::Fast Server::check_and_answer(std::span<const uint8_t> query, std::span<uint8_t> out,
                                      std::size_t& out_len, ClientTransport t,
                                      const sockaddr* client, const Acl* acl, ViewId view) {
    const Policy& p = policy();
    AclAction access = (acl ? *acl : p.settings.acl).check(client);
    if (access == AclAction::deny) [[unlikely]] {
        base::counters().refusal(base::Refusal::acl);
        log_security_event(SecurityEvent::refused, client, "(access list: deny, dropped)");
        return Fast::drop;
    }
    // Draining: no new questions on connections. UDP stops at the socket instead (the
    // listener reads no more), so a datagram already read is answered, not lost.
    if (t != ClientTransport::udp && draining_.load(std::memory_order_relaxed)) return Fast::drop;
    bool limited = t == ClientTransport::udp && p.limiter->enabled();
    uint64_t now_ms = limited ? RateLimiter::coarse_now_ms() : 0;
    if (limited && !p.limiter->query_allowed(client, now_ms)) {
        base::counters().refusal(base::Refusal::rate_limit);
        log_security_event(SecurityEvent::rate_limited, client, "(query dropped)");
        return Fast::drop;
    }
    Fast result = answer_fast(p, query, out, out_len, t, access, client,
                              p.view_selector.select(view, client));
    if (result != Fast::answered) return result;
    if (!rate_limit_reply(p, t, client, out, out_len)) return Fast::drop;
    count_reply(out.first(out_len));
    return result;
}

Server::Fast Server::answer_fast(const Policy& p, std::span<const uint8_t> query,
                                 std::span<uint8_t> out, std::size_t& out_len, ClientTransport t,
                                 AclAction access, const sockaddr* client, ViewId view) {
    if (notify_ && access == AclAction::allow && is_notify(query)) {
        out_len = notify_(query, client, out);
        return out_len ? Fast::answered : Fast::drop;
    }
    QueryView q;
    QueryCheck check = parse_query(query, q);
    if (check == QueryCheck::drop) return Fast::drop;
    base::CounterBlock& counts = base::counters();
    counts.qtype(q.qtype);
    CookieBuf cookie;
    const cache::ReplyLimits l = limits(p, q, t, client, cookie);
    if (access == AclAction::refuse) {
        // Strangers get REFUSED for a readable query and nothing for garbage.
        counts.refusal(base::Refusal::acl);
        log_security_event(SecurityEvent::refused, client, "(access list: refuse)");
        if (check != QueryCheck::ok) return Fast::drop;
        out_len = reply_with_rcode(q, query, rcode::REFUSED, out, l);
        return out_len ? Fast::answered : Fast::drop;
    }
    if (check != QueryCheck::ok) {
        uint16_t rc = check == QueryCheck::notimp    ? rcode::NOTIMP
                      : check == QueryCheck::badvers ? rcode::BADVERS
                                                     : rcode::FORMERR;
        std::vector<uint8_t> reply = error_response(query, rc);
        if (reply.empty() || reply.size() > out.size()) return Fast::drop;
        std::copy(reply.begin(), reply.end(), out.begin());
        out_len = reply.size();
        return Fast::answered;
    }
    uint32_t now = clock_.now();
    cache::AnswerKey key(q, view);
    bool refresh = false;
    out_len = answers_.answer(key, q, query, out, l, now, p.settings.prefetch ? &refresh : nullptr);
    if (out_len) {
        counts.cache_hits.add();
        t_cache_hit = true;
        if (refresh) start_prefetch(p, q, view);
        return Fast::answered;
    }
    counts.cache_misses.add();

    if (q.qtype == type::OPT) {
        out_len = reply_with_rcode(q, query, rcode::FORMERR, out, l);
    } else if (q.qclass != cls::IN) {
        out_len = reply_with_rcode(q, query, rcode::REFUSED, out, l);
    } else if (is_zone_transfer_or_meta(q.qtype)) {
        out_len = reply_with_rcode(q, query, rcode::NOTIMP, out, l);
    } else if (q.qtype == type::ANY) {
        cache::StoredAnswer a = any_answer(q, now);
        answers_.store(key, a, now);
        out_len = cache::render_reply(a.blob, q, query, out, l, now);
    } else {
        return Fast::resolve;
    }
    return out_len ? Fast::answered : Fast::drop;
}

void Server::handle_slow(std::span<const uint8_t> query, ClientTransport t,
                         asio::any_io_executor ex, Done done, const sockaddr* client, ViewId view) {
    QueryView q;
    if (parse_query(query, q) != QueryCheck::ok) {
        done({});
        return;
    }
    if (tapped_) [[unlikely]]
        done = tapped(std::move(done), query, t, client);
    const Policy& p = policy();
    if (p.tunnels->inspect(client, q, clock_.now()).refuse) {
        base::counters().refusal(base::Refusal::tunnel);
        CookieBuf cookie;
        cache::ReplyLimits l = limits(p, q, t, client, cookie);
        std::vector<uint8_t> reply(l.max_size);
        std::size_t n = reply_with_rcode(q, query, rcode::REFUSED, reply, l);
        if (!rate_limit_reply(p, t, client, reply, n)) n = 0;
        count_reply(std::span<const uint8_t>(reply.data(), n));
        done(std::span<const uint8_t>(reply.data(), n));
        return;
    }
    view = p.view_selector.select(view, client);
    std::string key(cache::AnswerKey(q, view).view());
    Waiter w{compact_query(query, q), t, ex, done, {}, view};
    if (client)
        std::memcpy(&w.client, client,
                    client->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    switch (inflight_.join(key, std::move(w))) {
        case InflightTable::Join::joined:
            return;
        case InflightTable::Join::full: {
            // Overloaded, or this client already holds its share: shed the new question
            // rather than let memory grow or one client starve the rest. Over UDP that
            // answer is rate-limited like any other (a flood must not turn into SERVFAILs).
            base::counters().refusal(base::Refusal::overload);
            std::vector<uint8_t> reply = error_response(query, rcode::SERVFAIL);
            std::size_t n = reply.size();
            if (!rate_limit_reply(p, t, client, reply, n)) n = 0;
            count_reply(std::span<const uint8_t>(reply.data(), n));
            done(std::span<const uint8_t>(reply.data(), n));
            return;
        }
        case InflightTable::Join::first:
            break;
    }
    // The policy is alive here (retired only after this worker's turn ends): hold it.
    asio::co_spawn(ex,
                   resolve_and_reply(p.shared_from_this(), std::move(key), question_of(q),
                                     ClientBits::of(q), false, view),
                   asio::detached);
}

Server::Done Server::tapped(Done done, std::span<const uint8_t> query, ClientTransport t,
                            const sockaddr* client) {
    sockaddr_storage who{};
    if (client)
        std::memcpy(&who, client,
                    client->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    return [this, done = std::move(done), q = std::vector<uint8_t>(query.begin(), query.end()), t,
            who, start = std::chrono::steady_clock::now(),
            start_ns = dnstap_now_ns()](std::span<const uint8_t> reply) {
        const auto* c = reinterpret_cast<const sockaddr*>(&who);
        if (!reply.empty())
            tap_answer(q, reply, t, c->sa_family == AF_UNSPEC ? nullptr : c, false, start,
                       start_ns);
        done(reply);
    };
}

void Server::bind_worker_thread(asio::any_io_executor ex) {
    t_worker = std::move(ex);
}

void Server::start_prefetch(const Policy& p, const QueryView& q, ViewId view) {
    if (!t_worker) return;
    std::string key(cache::AnswerKey(q, view).view());
    // Nobody waits on a prefetch; if clients join, they are answered with it.
    if (!inflight_.start(key)) return;
    asio::co_spawn(*t_worker,
                   resolve_and_reply(p.shared_from_this(), std::move(key), question_of(q),
                                     ClientBits::of(q), true, view),
                   asio::detached);
}

base::awaitable<void> Server::resolve_and_reply(std::shared_ptr<const Policy> p, std::string key,
                                                Question q, ClientBits bits, bool refresh,
                                                ViewId view) {
    engine::Outcome outcome;
    try {
        outcome = co_await p->engine_of(view).resolve(q, refresh);
    } catch (const std::exception& e) {
        P53_LOG(error, "resolving " << q.name.to_text() << " failed: " << e.what());
        outcome = engine::Outcome{rcode::SERVFAIL, {}, {}};
    }
    base::counters().validated(validation_of(outcome.security));
    uint32_t now = clock_.now();
    auto answer =
        std::make_shared<const cache::StoredAnswer>(render_outcome(outcome, q, bits, now));
    // SERVFAIL is not cached here (the next query retries); bogus data the RRset cache keeps
    // briefly, so repeated queries for it stay cheap.
    if (outcome.rcode != rcode::SERVFAIL && outcome.security != Security::bogus) {
        answers_.store(key, *answer, now);
        // A reload swapped the policy while this resolution ran on the old one's engine: the
        // reload's pass that forgets answers from changed sources may have run before the
        // store above, and the answer (from a source now removed or changed) would outlive
        // the change. Checked after the store: a swap seen here, this resolution undoes;
        // one not seen yet happened after the store (the shard's lock orders them), so the
        // forget pass, which follows the swap, finds the entry.
        if (current_.load(std::memory_order_acquire) != p.get()) answers_.erase(key);
    }
    std::vector<Waiter> waiters = inflight_.finish(key);
    if (outcome.security == Security::bogus) log_bogus(q, waiters);
    // When the authorities failed us, an expired answer beats SERVFAIL (RFC 8767).
    // Not for a zone served here (an expired secondary zone): it is ours to refuse.
    bool try_stale = p->settings.serve_stale && outcome.rcode == rcode::SERVFAIL &&
                     outcome.security != Security::bogus && !outcome.authoritative;
    for (auto& w : waiters) {
        auto ex = w.ex;
        asio::post(ex, [this, p, w = std::move(w), answer, try_stale]() {
            reply_to(*p, w, *answer, try_stale);
        });
    }
}

void Server::reply_to(const Policy& p, const Waiter& w, const cache::StoredAnswer& answer,
                      bool try_stale) {
    QueryView q;
    if (parse_query(w.query, q) != QueryCheck::ok) return w.done({});
    const auto* client = reinterpret_cast<const sockaddr*>(&w.client);
    if (client->sa_family == AF_UNSPEC) client = nullptr;
    CookieBuf cookie;
    cache::ReplyLimits l = limits(p, q, w.transport, client, cookie);
    std::vector<uint8_t> out(l.max_size);
    std::size_t n = 0;
    if (try_stale)
        n = answers_.answer_stale(cache::AnswerKey(q, w.view).view(), q, w.query, out, l,
                                  clock_.now(), p.settings.max_stale,
                                  cache::StaleReply{p.settings.stale_ttl});
    if (n == 0) n = cache::render_reply(answer.blob, q, w.query, out, l, clock_.now());
    if (!rate_limit_reply(p, w.transport, client, out, n)) n = 0;
    count_reply(std::span<const uint8_t>(out.data(), n));
    w.done(std::span<const uint8_t>(out.data(), n));
}

// RRL applies to every UDP answer, fresh or cached: amplification works with both.
bool Server::rate_limit_reply(const Policy& p, ClientTransport t, const sockaddr* client,
                              std::span<uint8_t> reply, std::size_t& len) {
    if (t != ClientTransport::udp || !client || !p.limiter->enabled() || len == 0) return true;
    switch (p.limiter->response_allowed(client, RateLimiter::coarse_now_ms())) {
        case RateLimiter::Verdict::pass:
            return true;
        case RateLimiter::Verdict::drop:
            base::counters().refusal(base::Refusal::rate_limit);
            log_security_event(SecurityEvent::rate_limited, client, "(answer dropped)");
            return false;
        case RateLimiter::Verdict::slip:
            base::counters().rate_limit_slips.add();
            log_security_event(SecurityEvent::rate_limited, client, "(answer truncated, TC)");
            len = truncate_to_question(reply.first(len));
            return true;
    }
    return true;
}

std::size_t Server::inflight() const {
    return inflight_.questions();
}

std::vector<Server::InflightQuestion> Server::inflight_list() const {
    std::vector<InflightQuestion> out;
    auto now = std::chrono::steady_clock::now();
    for (const auto& l : inflight_.list()) {
        // The key is cache::AnswerKey's: the lower-cased name's wire form, then the type.
        std::size_t pos = 0;
        while (pos < l.key.size() && l.key[pos] != 0) pos += 1 + static_cast<uint8_t>(l.key[pos]);
        if (pos + 3 > l.key.size()) continue;
        auto name = Name::from_wire(std::string_view(l.key).substr(0, pos + 1));
        if (!name) continue;
        auto type = load16(reinterpret_cast<const uint8_t*>(l.key.data()) + pos + 1);
        out.push_back({name->to_text(), type,
                       std::chrono::duration_cast<std::chrono::milliseconds>(now - l.started),
                       l.waiters});
    }
    return out;
}

}  // namespace port53::server
