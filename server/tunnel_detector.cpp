#include "server/tunnel_detector.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cmath>
#include <sstream>

#include "server/security_log.hpp"
#include "wire/types.hpp"

namespace port53::server {
namespace {

constexpr uint16_t kNullType = 10;
constexpr std::size_t kMaxDomainsPerClient = 64;

std::string client_text(const sockaddr* sa) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
    return buf;
}

}  // namespace

double label_entropy(std::string_view label) {
    if (label.empty()) return 0;
    std::array<uint32_t, 256> counts{};
    for (unsigned char c : label) ++counts[wire::ascii_lower(c)];
    double h = 0;
    for (uint32_t n : counts) {
        if (!n) continue;
        double p = static_cast<double>(n) / static_cast<double>(label.size());
        h -= p * std::log2(p);
    }
    return h;
}

const char* TunnelDetector::describe(Reason r) {
    switch (r) {
        case Reason::high_entropy_label:
            return "long high-entropy label";
        case Reason::unique_name_burst:
            return "burst of unique names under one domain";
        case Reason::txt_null_heavy:
            return "heavy TXT/NULL use";
        case Reason::none:
            break;
    }
    return "none";
}

TunnelDetector::Reason TunnelDetector::classify(ClientState& c, const wire::QueryView& q,
                                                const std::string& base) {
    std::string_view name(reinterpret_cast<const char*>(q.qname), q.qname_len);
    for (std::size_t pos = 0; pos < name.size() && name[pos] != 0;
         pos += 1 + static_cast<uint8_t>(name[pos])) {
        std::string_view label = name.substr(pos + 1, static_cast<uint8_t>(name[pos]));
        if (label.size() >= s_.long_label && label_entropy(label) >= s_.entropy_bits)
            return Reason::high_entropy_label;
    }
    if (c.per_domain.size() < kMaxDomainsPerClient || c.per_domain.contains(base))
        if (++c.per_domain[base] > s_.unique_names) return Reason::unique_name_burst;
    if ((q.qtype == wire::type::TXT || q.qtype == kNullType) && ++c.txt_null > s_.txt_null_queries)
        return Reason::txt_null_heavy;
    return Reason::none;
}

TunnelDetector::Finding TunnelDetector::inspect(const sockaddr* client, const wire::QueryView& q,
                                                uint32_t now) {
    Finding f;
    if (!s_.enabled || !client) return f;
    wire::Name qname =
        wire::Name::from_wire(std::string_view(reinterpret_cast<const char*>(q.qname), q.qname_len))
            .value();  // parse_query read it
    // "Under one domain": the registrable-looking part, the last two labels.
    std::string base = qname.suffix(2).key();
    std::string who = client_text(client);
    bool log_it = false;
    {
        std::lock_guard lock(mutex_);
        if (clients_.size() >= s_.max_clients && !clients_.contains(who)) clients_.clear();
        ClientState& c = clients_[who];
        if (now - c.window_start >= s_.window_seconds) {
            c.window_start = now;
            c.txt_null = 0;
            c.per_domain.clear();
        }
        f.reason = classify(c, q, base);
        if (f.reason != Reason::none && c.logged_until <= now) {
            c.logged_until = now + s_.window_seconds;  // one log line per client per window
            log_it = true;
        }
    }
    if (f.reason == Reason::none) return f;
    uint64_t n = flagged_.fetch_add(1, std::memory_order_relaxed) + 1;
    for (const auto& d : s_.refuse_domains)
        if (qname.is_subdomain_of(d)) f.refuse = true;
    if (f.refuse) refused_.fetch_add(1, std::memory_order_relaxed);
    if (log_it) {
        std::ostringstream detail;
        detail << qname.to_text() << ": " << describe(f.reason) << " (" << n << " flagged so far"
               << (f.refuse ? ", refused" : "") << ")";
        log_security_event(SecurityEvent::tunnel_suspect, client, detail.str());
    }
    return f;
}

}  // namespace port53::server
