// NOTIFY (RFC 1996) for the secondary zones: accepted only from a zone's primaries and, when
// the zone has a key, only signed with it (RFC 8945 §5.2); an accepted one starts a refresh
// at once.
#include <netinet/in.h>

#include <boost/asio/post.hpp>
#include <cstring>

#include "base/log.hpp"
#include "secondary/secondaries.hpp"
#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::secondary {
namespace {

constexpr uint8_t kOpcodeNotify = 4;
constexpr uint16_t kNotAuth = 9;  // RFC 8945 §5.2: the TSIG did not verify

std::optional<upstream::ServerAddr> address_of(const sockaddr* sa) {
    upstream::ServerAddr a;
    if (!sa) return std::nullopt;
    if (sa->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        std::memcpy(a.ip.data(), &in->sin_addr, 4);
        return a;
    }
    if (sa->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        std::memcpy(a.ip.data(), &in6->sin6_addr, 16);
        a.v6 = true;
        return a;
    }
    return std::nullopt;
}

bool same_ip(const upstream::ServerAddr& a, const upstream::ServerAddr& b) {
    return a.v6 == b.v6 && a.ip == b.ip;
}

}  // namespace

std::size_t Secondaries::notify_reply(std::span<const uint8_t> query, const wire::Message& m,
                                      Zone* z, uint16_t rcode, const std::string& request_mac,
                                      std::span<uint8_t> out) const {
    wire::MessageBuilder b;
    uint16_t flags = static_cast<uint16_t>(wire::flag::QR | kOpcodeNotify << 11 | rcode);
    if (rcode == wire::rcode::NOERROR) flags |= wire::flag::AA;
    b.header(m.id, flags);
    for (const auto& q : m.questions) b.question(q.name, q.type, q.cls);
    std::vector<uint8_t> reply = b.take();
    // A response to a signed request is signed with the request's MAC (RFC 8945 §5.3).
    if (z && z->key && !request_mac.empty())
        tsig_sign(reply, *z->key, clock_.unix_now(), request_mac);
    if (reply.size() > out.size()) return 0;
    std::copy(reply.begin(), reply.end(), out.begin());
    return reply.size();
}

std::size_t Secondaries::notify(std::span<const uint8_t> query, const sockaddr* client,
                                std::span<uint8_t> out) {
    auto m = wire::parse_message(query);
    if (!m || m->opcode() != kOpcodeNotify || m->has(wire::flag::QR) || m->questions.size() != 1)
        return 0;
    const wire::Question& q = m->questions.front();
    Zone* z = zone_of(q.name);
    auto from = address_of(client);
    std::string who = from ? from->to_string() : "?";
    bool from_primary = false;
    if (z && from)
        for (const auto& p : z->settings.primaries)
            from_primary = from_primary || same_ip(p.addr, *from);
    if (!z || !from_primary) {
        if (z) z->counters.notify_refused.fetch_add(1);
        P53_LOG(info, "NOTIFY for " << q.name.to_text() << " from " << who
                                    << " refused: " << (z ? "not a primary" : "not our zone"));
        return notify_reply(query, *m, nullptr, wire::rcode::REFUSED, {}, out);
    }
    std::string mac;
    if (z->key) {
        TsigVerifier v(*z->key, {}, clock_.unix_now());
        TsigCheck c = v.next(query);
        if (c != TsigCheck::ok) {
            z->counters.notify_refused.fetch_add(1);
            z->counters.tsig_failures.fetch_add(1);
            P53_LOG(info, "NOTIFY for " << q.name.to_text() << " from " << who << " refused: TSIG "
                                        << tsig_check_text(c));
            return notify_reply(query, *m, nullptr, kNotAuth, {}, out);
        }
        mac = v.mac();
    }
    z->counters.notify_accepted.fetch_add(1);
    P53_LOG(info, "NOTIFY for " << q.name.to_text() << " from " << who << ": refreshing (accepted "
                                << z->counters.notify_accepted.load() << ")");
    if (ex_) {
        // The zone's state belongs to its refresh loop's executor: wake it there.
        boost::asio::post(*ex_, [z] {
            z->notified.store(true);
            if (z->timer) z->timer->cancel();
        });
    }
    return notify_reply(query, *m, z, wire::rcode::NOERROR, mac, out);
}

}  // namespace port53::secondary
