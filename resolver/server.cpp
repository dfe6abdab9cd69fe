#include "resolver/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "resolver/log.hpp"
#include "resolver/wire/builder.hpp"
#include "resolver/wire/types.hpp"

namespace port53::resolver {
namespace asio = boost::asio;
using namespace wire;

namespace {

constexpr std::size_t kStreamMax = 65535;
constexpr uint32_t kAnyTtl = 3600;

Name lowered_qname(const QueryView& q) {
    return Name::from_wire(std::string_view(reinterpret_cast<const char*>(q.qname), q.qname_len));
}

bool is_zone_transfer_or_meta(uint16_t t) {
    return t == type::AXFR || t == type::IXFR || t == 253 || t == 254;  // MAILB, MAILA
}

// RFC 8482 §4.2: answer ANY with one synthesised HINFO record instead of everything.
cache::StoredAnswer any_answer(const QueryView& q, uint32_t now) {
    std::string hinfo = "\x07RFC8482";
    hinfo.push_back('\0');
    Outcome o{rcode::NOERROR, {Record{lowered_qname(q), type::HINFO, q.qclass, kAnyTtl, hinfo}}, {}};
    return render_outcome(o, lowered_qname(q), q.qtype, q.qclass, now);
}

}  // namespace

cache::StoredAnswer render_outcome(const Outcome& o, const Name& qname, uint16_t qtype,
                                   uint16_t qclass, uint32_t now) {
    MessageBuilder b(kStreamMax);
    b.header(0, static_cast<uint16_t>(flag::QR | flag::RA | (o.rcode & 0xF)));
    b.question(qname, qtype, qclass);
    for (const auto& r : o.answer) b.add(Section::answer, r);
    for (const auto& r : o.authority) b.add(Section::authority, r);
    return cache::make_stored_answer(b.bytes(), b.ttl_offsets(), now);
}

Server::Server(ServerSettings settings, Engine& engine, cache::AnswerCache& answers,
               const cache::Clock& clock)
    : settings_(settings), engine_(engine), answers_(answers), clock_(clock) {}

cache::ReplyLimits Server::limits(const QueryView& q, ClientTransport t) const {
    if (t == ClientTransport::stream) return {kStreamMax, settings_.edns_buffer_size};
    std::size_t max = q.edns ? std::min(q.udp_size, settings_.edns_buffer_size) : kMinUdpSize;
    return {max, settings_.edns_buffer_size};
}

std::size_t Server::reply_with_rcode(const QueryView& q, std::span<const uint8_t> query,
                                     uint16_t rc, std::span<uint8_t> out, ClientTransport t) {
    cache::StoredAnswer a = render_outcome(Outcome{rc, {}, {}}, lowered_qname(q), q.qtype,
                                           q.qclass, clock_.now());
    return cache::render_reply(a.blob, q, query, out, limits(q, t), clock_.now());
}

Server::Fast Server::handle_fast(std::span<const uint8_t> query, std::span<uint8_t> out,
                                 std::size_t& out_len, ClientTransport t) {
    QueryView q;
    QueryCheck check = parse_query(query, q);
    if (check == QueryCheck::drop) return Fast::drop;
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
    cache::AnswerKey key(q);
    out_len = answers_.answer(key, q, query, out, limits(q, t), now);
    if (out_len) return Fast::answered;

    if (q.qtype == type::OPT) {
        out_len = reply_with_rcode(q, query, rcode::FORMERR, out, t);
    } else if (q.qclass != cls::IN) {
        out_len = reply_with_rcode(q, query, rcode::REFUSED, out, t);
    } else if (is_zone_transfer_or_meta(q.qtype)) {
        out_len = reply_with_rcode(q, query, rcode::NOTIMP, out, t);
    } else if (q.qtype == type::ANY) {
        cache::StoredAnswer a = any_answer(q, now);
        answers_.store(key, a, now);
        out_len = cache::render_reply(a.blob, q, query, out, limits(q, t), now);
    } else {
        return Fast::resolve;
    }
    return out_len ? Fast::answered : Fast::drop;
}

void Server::handle_slow(std::span<const uint8_t> query, ClientTransport t,
                         asio::any_io_executor ex, Done done) {
    QueryView q;
    if (parse_query(query, q) != QueryCheck::ok) {
        done({});
        return;
    }
    std::string key(cache::AnswerKey(q).view());
    {
        std::lock_guard lock(inflight_mutex_);
        auto [it, first] = inflight_.try_emplace(key);
        it->second.push_back(Waiter{{query.begin(), query.end()}, t, ex, std::move(done)});
        if (!first) return;
    }
    asio::co_spawn(ex, resolve_and_reply(std::move(key), lowered_qname(q), q.qtype, q.qclass),
                   asio::detached);
}

awaitable<void> Server::resolve_and_reply(std::string key, Name qname, uint16_t qtype,
                                          uint16_t qclass) {
    Outcome outcome;
    try {
        outcome = co_await engine_.resolve(qname, qtype, qclass);
    } catch (const std::exception& e) {
        P53_LOG(error, "resolving " << qname.to_text() << " failed: " << e.what());
        outcome = Outcome{rcode::SERVFAIL, {}, {}};
    }
    uint32_t now = clock_.now();
    auto answer = std::make_shared<const cache::StoredAnswer>(
        render_outcome(outcome, qname, qtype, qclass, now));
    // Only answers the engine vouches for are cached; SERVFAIL is retried next time.
    if (outcome.rcode != rcode::SERVFAIL) answers_.store(key, *answer, now);
    std::vector<Waiter> waiters;
    {
        std::lock_guard lock(inflight_mutex_);
        auto it = inflight_.find(key);
        if (it != inflight_.end()) {
            waiters = std::move(it->second);
            inflight_.erase(it);
        }
    }
    for (auto& w : waiters) {
        auto ex = w.ex;
        asio::post(ex, [this, w = std::move(w), answer]() { reply_to(w, answer); });
    }
}

void Server::reply_to(const Waiter& w, std::shared_ptr<const cache::StoredAnswer> answer) {
    QueryView q;
    if (parse_query(w.query, q) != QueryCheck::ok) return w.done({});
    cache::ReplyLimits l = limits(q, w.transport);
    std::vector<uint8_t> out(l.max_size);
    std::size_t n = cache::render_reply(answer->blob, q, w.query, out, l, clock_.now());
    w.done(std::span<const uint8_t>(out.data(), n));
}

std::size_t Server::inflight() const {
    std::lock_guard lock(inflight_mutex_);
    return inflight_.size();
}

}  // namespace port53::resolver
