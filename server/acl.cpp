#include "server/acl.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <sstream>

namespace port53::server {

std::optional<Network> Network::parse(std::string_view text) {
    Network n;
    auto slash = text.find('/');
    std::string ip(text.substr(0, slash));
    n.v6 = ip.find(':') != std::string::npos;
    if (inet_pton(n.v6 ? AF_INET6 : AF_INET, ip.c_str(), n.net.data()) != 1) return std::nullopt;
    int max = n.v6 ? 128 : 32, bits = max;
    if (slash != std::string_view::npos) {
        std::string_view len = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
        if (ec != std::errc() || end != len.data() + len.size() || len.empty()) return std::nullopt;
    }
    if (bits < 0 || bits > max) return std::nullopt;
    n.bits = static_cast<uint8_t>(bits);
    return n;
}

bool Network::contains(const uint8_t* addr, bool addr_v6) const noexcept {
    if (addr_v6 != v6) return false;
    std::size_t full = bits / 8;
    if (std::memcmp(addr, net.data(), full) != 0) return false;
    if (bits % 8 == 0) return true;
    auto mask = static_cast<uint8_t>(0xFF << (8 - bits % 8));
    return (addr[full] & mask) == (net[full] & mask);
}

const uint8_t* client_address(const sockaddr* sa, bool& v6) noexcept {
    v6 = false;
    if (sa->sa_family == AF_INET)
        return reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
    if (sa->sa_family != AF_INET6) return nullptr;
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) return a6->s6_addr + 12;  // an IPv4 client, dual-stack socket
    v6 = true;
    return a6->s6_addr;
}

Acl Acl::parse(const std::vector<std::string>& rules) {
    Acl acl;
    for (const auto& text : rules) {
        std::istringstream in(text);
        std::string net, action, extra;
        in >> net >> action >> extra;
        Rule r;
        if (action == "allow")
            r.action = AclAction::allow;
        else if (action == "refuse")
            r.action = AclAction::refuse;
        else if (action == "deny")
            r.action = AclAction::deny;
        else
            throw std::invalid_argument("access rule needs allow, refuse or deny: " + text);
        if (!extra.empty()) throw std::invalid_argument("unexpected text in access rule: " + text);
        auto network = Network::parse(net);
        if (!network) {
            bool bad_ip = Network::parse(net.substr(0, net.find('/'))) == std::nullopt;
            throw std::invalid_argument(
                (bad_ip ? "bad network in access rule: " : "bad prefix length in access rule: ") +
                text);
        }
        static_cast<Network&>(r) = *network;
        acl.rules_.push_back(r);
    }
    acl.text_ = rules;
    std::stable_sort(acl.rules_.begin(), acl.rules_.end(),
                     [](const Rule& a, const Rule& b) { return a.bits > b.bits; });
    return acl;
}

AclAction Acl::check(const sockaddr* sa) const noexcept {
    if (!sa) return AclAction::allow;
    bool v6 = false;
    const uint8_t* addr = client_address(sa, v6);
    if (!addr) return AclAction::refuse;
    for (const auto& r : rules_)
        if (r.contains(addr, v6)) return r.action;
    return AclAction::refuse;
}

}  // namespace port53::server
