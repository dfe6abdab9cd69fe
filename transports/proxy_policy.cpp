#include "transports/proxy_policy.hpp"

#include <algorithm>
#include <stdexcept>

#include "base/counters.hpp"
#include "server/security_log.hpp"

namespace port53::transports {

ProxyPolicy::ProxyPolicy(const std::vector<std::string>& from) {
    for (const auto& text : from) {
        auto net = server::Network::parse(text);
        if (!net) throw std::invalid_argument("not an address or NET/LEN: " + text);
        from_.push_back(*net);
    }
}

bool ProxyPolicy::trusted(const sockaddr* peer) const noexcept {
    bool v6 = false;
    const uint8_t* addr = server::client_address(peer, v6);
    return addr && std::any_of(from_.begin(), from_.end(),
                               [&](const server::Network& n) { return n.contains(addr, v6); });
}

bool starts_like_proxy_header(std::span<const uint8_t> data) noexcept {
    std::size_t n = std::min(data.size(), sizeof kProxyV2Signature);
    return n > 0 && std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n),
                               kProxyV2Signature);
}

ProxyOutcome proxy_datagram(const ProxyPolicy& policy, const sockaddr* peer,
                            std::span<const uint8_t> data, ProxyHeader& header,
                            const sockaddr*& client, std::size_t& payload, std::string& error) {
    // A datagram too short for the whole signature cannot be a header, nor a DNS query.
    bool has_header = data.size() >= sizeof kProxyV2Signature && starts_like_proxy_header(data);
    if (!policy.trusted(peer)) {
        if (has_header) {
            error = "PROXY header from a sender not in proxy_protocol.from";
            return ProxyOutcome::untrusted;
        }
        client = peer;
        payload = 0;
        return ProxyOutcome::direct;
    }
    if (!has_header) {
        error = "no PROXY header from a proxy in proxy_protocol.from";
        return ProxyOutcome::missing;
    }
    switch (parse_proxy_header(data, header, error)) {
        case ProxyParse::ok:
            break;
        case ProxyParse::incomplete:
            error = "PROXY header cut short";
            return ProxyOutcome::malformed;
        case ProxyParse::invalid:
            return ProxyOutcome::malformed;
    }
    // LOCAL (section 2.2: the proxy's own health check) and unroutable families: the
    // proxy is the client.
    client = header.has_client ? reinterpret_cast<const sockaddr*>(&header.client) : peer;
    payload = header.length;
    return ProxyOutcome::proxied;
}

void report_proxy_drop(ProxyOutcome outcome, const sockaddr* peer, std::string_view transport,
                       std::string_view why) {
    if (outcome == ProxyOutcome::direct || outcome == ProxyOutcome::proxied) return;
    base::counters().refusal(base::Refusal::proxy);
    std::string detail(transport);
    detail += " dropped: ";
    detail += why;
    server::log_security_event(server::SecurityEvent::proxy, peer, detail);
}

}  // namespace port53::transports
