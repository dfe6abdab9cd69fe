#include "server/proxy_trust.hpp"

#include <algorithm>
#include <stdexcept>

#include "base/counters.hpp"
#include "server/security_log.hpp"

namespace port53::server {

ProxyTrust::ProxyTrust(const std::vector<std::string>& from) {
    for (const auto& text : from) {
        auto net = Network::parse(text);
        if (!net) throw std::invalid_argument("not an address or NET/LEN: " + text);
        from_.push_back(*net);
    }
}

bool ProxyTrust::trusted(const sockaddr* peer) const noexcept {
    bool v6 = false;
    const uint8_t* addr = client_address(peer, v6);
    return addr && std::any_of(from_.begin(), from_.end(),
                               [&](const Network& n) { return n.contains(addr, v6); });
}

bool proxy_trusted(const ProxyTrust& trust, const sockaddr* peer) noexcept {
    return trust.trusted(peer);
}

void proxy_dropped(const sockaddr* peer, std::string_view transport, std::string_view why) {
    base::counters().refusal(base::Refusal::proxy);
    std::string detail(transport);
    detail += " dropped: ";
    detail += why;
    log_security_event(SecurityEvent::proxy, peer, detail);
}

}  // namespace port53::server
