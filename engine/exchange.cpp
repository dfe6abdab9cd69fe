// The engine's conversation with one zone's servers: server order, EDNS fallback,
// TCP on truncation, lameness.
#include <algorithm>
#include <cctype>

#include "base/counters.hpp"
#include "base/log.hpp"
#include "base/random.hpp"
#include "engine/engine.hpp"
#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

namespace {

std::vector<uint8_t> build_query(const Question& q, bool edns, uint16_t edns_size, bool validating,
                                 bool recursive, std::span<const uint8_t> options) {
    MessageBuilder b(512);
    // RD=0: we iterate, except towards a forward zone's resolvers. CD=1 when validating: we
    // check signatures ourselves (a forwarder then hands us bogus data to judge rather than
    // SERVFAIL). DO always: even without validation we are security-aware and hand RRSIGs
    // to DO clients (RFC 4035 §3.2).
    b.header(base::random_u16(),
             static_cast<uint16_t>((validating ? flag::CD : 0) | (recursive ? flag::RD : 0)));
    b.question(q.name, q.type, q.cls);
    if (edns) b.add_opt(edns_size, true, 0, options);
    return b.take();
}

// DNS 0x20 (draft-vixie-dnsext-dns0x20): flip the case of letters at random, so a spoofer
// must guess it too; a genuine server echoes the question as sent.
Name randomise_case(const Name& n) {
    std::string w(n.wire());
    uint16_t bits = 0;
    int left = 0;
    for (std::size_t pos = 0; w[pos] != 0; pos += 1 + static_cast<uint8_t>(w[pos])) {
        for (std::size_t i = 1; i <= static_cast<uint8_t>(w[pos]); ++i) {
            char& c = w[pos + i];
            if (!std::isalpha(static_cast<unsigned char>(c))) continue;
            if (left == 0) {
                bits = base::random_u16();
                left = 16;
            }
            if (bits & 1) c = static_cast<char>(c ^ 0x20);
            bits >>= 1;
            --left;
        }
    }
    return Name::from_wire(w).value();  // only the case of letters changed
}

// `options` with an EDNS Padding option (RFC 7830) that brings a query of `size` bytes
// (options included) to a multiple of 128: RFC 8467 §4.1's block length for queries over
// an encrypted transport, so their length says little about the name asked.
std::vector<uint8_t> with_padding(std::span<const uint8_t> options, std::size_t size) {
    std::size_t pad = (128 - (size + 4) % 128) % 128;
    std::vector<uint8_t> out(options.begin(), options.end());
    out.resize(out.size() + 4 + pad, 0);
    store16(&out[options.size()], edns_option::PADDING);
    store16(&out[options.size() + 2], static_cast<uint16_t>(pad));
    return out;
}

// The question name in the reply, byte for byte as we sent it (both start at offset 12).
bool case_echoed(std::span<const uint8_t> query, std::span<const uint8_t> reply) {
    std::size_t pos = kHeaderSize;
    if (!read_name(query, pos)) return false;
    return reply.size() >= pos && std::ranges::equal(query.first(pos).subspan(kHeaderSize),
                                                     reply.first(pos).subspan(kHeaderSize));
}

}  // namespace

base::awaitable<std::optional<Engine::Reply>> Engine::query_zone(const Delegation& d,
                                                                 const Question& asked,
                                                                 Budget& budget, Tried& tried,
                                                                 bool minimised) {
    uint32_t now = clock_.now();
    std::vector<upstream::ServerAddr> usable;
    for (const auto& a : d.addrs)
        if (!infra_.is_lame(d.zone, a, now) &&
            std::find(tried.begin(), tried.end(), a) == tried.end())
            usable.push_back(a);
    std::vector<upstream::ServerAddr> ordered = infra_.order(usable, now);
    const Asking how{d.route == RouteKind::forward,
                     d.tls ? upstream::Proto::tls : upstream::Proto::udp};
    // A second round only helps if some server merely timed out (its timeout doubles).
    for (int round = 0; round < 2; ++round) {
        bool any_timeout = false;
        for (const auto& server : ordered) {
            if (out_of_budget(budget)) co_return std::nullopt;
            if (round == 0) tried.push_back(server);
            Asked got = co_await ask(server, asked, budget, how);
            any_timeout |= got.timed_out;
            if (!got.msg) continue;
            ResponseKind kind = classify(*got.msg, asked, d.zone);
            if (kind == ResponseKind::lame && !minimised) {
                // A minimised question may be what it dislikes (RFC 9156 §2.3): only the
                // full question proves a server lame.
                P53_LOG(info,
                        "lame server " << server.to_string() << " for zone " << d.zone.to_text());
                infra_.mark_lame(d.zone, server, clock_.now());
                continue;
            }
            if (kind == ResponseKind::error || kind == ResponseKind::lame) continue;
            co_return Reply{std::move(*got.msg), kind, server};
        }
        if (!any_timeout) break;
    }
    co_return std::nullopt;
}

std::vector<uint8_t> Engine::cookie_option(const upstream::ServerAddr& server) {
    // RFC 7873 §5.1: our client cookie for this server, and its server cookie if we hold one.
    if (!settings_.send_cookies) return {};
    auto client = upstream::client_cookie_for(std::span(server.ip.data(), server.v6 ? 16 : 4),
                                              cookie_secret_);
    return upstream::cookie_option(
        std::string_view(reinterpret_cast<const char*>(client.data()), client.size()),
        infra_.server_cookie(server));
}

Engine::CookieCheck Engine::check_cookie(const upstream::ServerAddr& server, const Message& msg,
                                         std::span<const uint8_t> sent) {
    if (sent.size() < 4 + upstream::kClientCookieSize) return CookieCheck::ok;
    auto c = msg.edns ? msg.edns->option(edns_option::COOKIE) : std::nullopt;
    if (c) {
        // RFC 7873 §5.3: a reply must echo our client cookie, with a well-formed server
        // cookie (8 to 32 bytes); one that does not was not meant for us (a spoof that
        // guessed ID and port) or is broken. Compared as bytes: `c` holds signed chars.
        const auto* echo = reinterpret_cast<const uint8_t*>(c->data());
        if (c->size() < 16 || c->size() > upstream::kMaxCookieOption ||
            !std::equal(sent.begin() + 4, sent.begin() + 4 + upstream::kClientCookieSize, echo))
            return CookieCheck::spoofed;
        infra_.set_server_cookie(server, c->substr(upstream::kClientCookieSize));
    }
    if (msg.rcode() == rcode::BADCOOKIE) return c ? CookieCheck::bad_cookie : CookieCheck::spoofed;
    // A server that has given us a cookie answers with one (RFC 7873 §5.3): a reply
    // without is not from it.
    if (!c && sent.size() > 4 + upstream::kClientCookieSize) return CookieCheck::spoofed;
    return CookieCheck::ok;
}

base::awaitable<upstream::ExchangeResult> Engine::exchange(const upstream::ServerAddr& server,
                                                           std::span<const uint8_t> query,
                                                           upstream::Proto proto, Budget& budget) {
    auto timeout = infra_.timeout_for(server);
    // A stream needs a connection first (and for DoT, a TLS handshake): a longer deadline.
    auto stream_timeout = std::max(timeout * 4, std::chrono::milliseconds(1000));
    bool udp = proto == upstream::Proto::udp;
    base::counters().upstream_queries.add();
    upstream::ExchangeResult res =
        co_await network_.exchange(server, query, proto, udp ? timeout : stream_timeout);
    // (counters() again after each co_await: the coroutine may resume on another thread)
    if (res.status != upstream::ExchangeResult::Status::ok) {
        if (res.status == upstream::ExchangeResult::Status::timeout)
            base::counters().upstream_timeouts.add();
        infra_.on_failure(server, clock_.now());
        co_return res;
    }
    // DoT's round trips, once its connection is open, rank its servers as UDP's do.
    if (proto != upstream::Proto::tcp) {
        infra_.on_response(server, res.rtt);
        base::counters().upstream_rtt(static_cast<uint64_t>(res.rtt.count()));
    }
    // Only plain UDP falls back to plain TCP: a DoT exchange never leaves TLS (fail closed).
    if (udp && res.response.size() >= kHeaderSize && (load16(&res.response[2]) & flag::TC)) {
        // Truncated: the same question over TCP (RFC 7766 §5), with a longer deadline.
        --budget.upstream_queries_left;
        base::counters().upstream_tcp_fallbacks.add();
        base::counters().upstream_queries.add();
        res = co_await network_.exchange(server, query, upstream::Proto::tcp, stream_timeout);
        if (res.status != upstream::ExchangeResult::Status::ok) {
            if (res.status == upstream::ExchangeResult::Status::timeout)
                base::counters().upstream_timeouts.add();
            infra_.on_failure(server, clock_.now());
            res.status =
                upstream::ExchangeResult::Status::error;  // not a timeout: the server spoke
        }
    }
    co_return res;
}

base::awaitable<Engine::Asked> Engine::ask(upstream::ServerAddr server, const Question& asked,
                                           Budget& budget, Asking how) {
    Asked out;
    bool edns = !infra_.edns_broken(server);
    bool caps = settings_.use_0x20 && !infra_.no_0x20(server);
    upstream::Proto proto = how.proto;
    for (int attempt = 0; attempt < 3; ++attempt) {
        --budget.upstream_queries_left;
        std::vector<uint8_t> cookie = edns ? cookie_option(server) : std::vector<uint8_t>{};
        Question sent = caps ? Question{randomise_case(asked.name), asked.type, asked.cls} : asked;
        std::vector<uint8_t> query = build_query(sent, edns, settings_.edns_buffer_size,
                                                 settings_.validate, how.recursive, cookie);
        if (edns && how.proto == upstream::Proto::tls)
            query = build_query(sent, edns, settings_.edns_buffer_size, settings_.validate,
                                how.recursive, with_padding(cookie, query.size()));
        P53_LOG(debug,
                "ask " << server.to_string() << " " << asked.name.to_text() << "/" << asked.type);
        upstream::ExchangeResult res = co_await exchange(server, query, proto, budget);
        if (res.status != upstream::ExchangeResult::Status::ok) {
            out.timed_out = res.status == upstream::ExchangeResult::Status::timeout;
            co_return out;
        }
        if (!response_matches_query(query, res.response)) co_return out;
        if (caps && !case_echoed(query, res.response)) {
            // Either a spoof or a server that does not keep case: count it, and ask that
            // server without 0x20 from now on (Unbound's fallback does the same).
            network_.note_unwanted();
            infra_.set_no_0x20(server);
            caps = false;
            continue;
        }
        const char* why = nullptr;
        out.msg = parse_message(res.response, &why);
        if (!out.msg) {
            P53_LOG(info, "malformed response from " << server.to_string() << ": " << why);
            co_return out;
        }
        switch (check_cookie(server, *out.msg, cookie)) {
            case CookieCheck::ok:
                break;
            case CookieCheck::spoofed:
                network_.note_unwanted();
                out.msg.reset();
                co_return out;
            case CookieCheck::bad_cookie:
                // RFC 7873 §5.3: once more with the server cookie it just gave us, then TCP.
                if (attempt > 0 && proto == upstream::Proto::udp) proto = upstream::Proto::tcp;
                out.msg.reset();
                continue;
        }
        uint16_t rc = out.msg->rcode();
        // A server that rejects EDNS without an OPT of its own gets plain queries (RFC 6891 §7).
        if (edns && !out.msg->edns && (rc == rcode::FORMERR || rc == rcode::NOTIMP)) {
            infra_.set_edns_broken(server);
            edns = false;
            out.msg.reset();
            continue;
        }
        co_return out;
    }
    co_return out;
}

}  // namespace port53::engine
