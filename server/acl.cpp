#include "server/acl.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <sstream>

namespace port53::server {
namespace {

bool prefix_matches(const uint8_t* addr, const std::array<uint8_t, 16>& net, uint8_t bits) {
    std::size_t full = bits / 8;
    if (std::memcmp(addr, net.data(), full) != 0) return false;
    if (bits % 8 == 0) return true;
    auto mask = static_cast<uint8_t>(0xFF << (8 - bits % 8));
    return (addr[full] & mask) == (net[full] & mask);
}

}  // namespace

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
        auto slash = net.find('/');
        std::string ip = net.substr(0, slash);
        r.v6 = ip.find(':') != std::string::npos;
        if (inet_pton(r.v6 ? AF_INET6 : AF_INET, ip.c_str(), r.net.data()) != 1)
            throw std::invalid_argument("bad network in access rule: " + text);
        int max = r.v6 ? 128 : 32, bits = max;
        if (slash != std::string::npos) {
            try {
                bits = std::stoi(net.substr(slash + 1));
            } catch (const std::exception&) {
                bits = -1;
            }
        }
        if (bits < 0 || bits > max)
            throw std::invalid_argument("bad prefix length in access rule: " + text);
        r.bits = static_cast<uint8_t>(bits);
        acl.rules_.push_back(r);
    }
    acl.text_ = rules;
    std::stable_sort(acl.rules_.begin(), acl.rules_.end(),
                     [](const Rule& a, const Rule& b) { return a.bits > b.bits; });
    return acl;
}

AclAction Acl::check(const sockaddr* sa) const noexcept {
    if (!sa) return AclAction::allow;
    const uint8_t* addr = nullptr;
    bool v6 = false;
    uint8_t mapped[4];
    if (sa->sa_family == AF_INET) {
        addr =
            reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
    } else if (sa->sa_family == AF_INET6) {
        const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {  // an IPv4 client on a dual-stack socket
            std::memcpy(mapped, a6->s6_addr + 12, 4);
            addr = mapped;
        } else {
            addr = a6->s6_addr;
            v6 = true;
        }
    } else {
        return AclAction::refuse;
    }
    for (const auto& r : rules_)
        if (r.v6 == v6 && prefix_matches(addr, r.net, r.bits)) return r.action;
    return AclAction::refuse;
}

}  // namespace port53::server
