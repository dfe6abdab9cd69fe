#include "upstream/address.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "wire/types.hpp"

namespace port53::upstream {

std::optional<ServerAddr> ServerAddr::parse(std::string_view text, uint16_t port) {
    std::string s(text);
    ServerAddr a;
    a.port = port;
    if (inet_pton(AF_INET, s.c_str(), a.ip.data()) == 1) return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, s.c_str(), a.ip.data()) == 1) return a;
    return std::nullopt;
}

std::optional<ServerAddr> ServerAddr::from_rdata(uint16_t type, std::string_view rdata) {
    ServerAddr a;
    if (type == wire::type::A && rdata.size() == 4) {
        std::memcpy(a.ip.data(), rdata.data(), 4);
        return a;
    }
    if (type == wire::type::AAAA && rdata.size() == 16) {
        a.v6 = true;
        std::memcpy(a.ip.data(), rdata.data(), 16);
        return a;
    }
    return std::nullopt;
}

std::string ServerAddr::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, ip.data(), buf, sizeof buf);
    return v6 ? "[" + std::string(buf) + "]:" + std::to_string(port)
              : std::string(buf) + ":" + std::to_string(port);
}

std::string ServerAddr::key() const {
    std::string k(reinterpret_cast<const char*>(ip.data()), v6 ? 16 : 4);
    k.push_back(static_cast<char>(port >> 8));
    k.push_back(static_cast<char>(port));
    return k;
}

bool ServerAddr::is_loopback() const {
    if (!v6) return ip[0] == 127;
    static const std::array<uint8_t, 16> one{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return ip == one;
}

bool ServerAddr::is_unusable() const {
    if (!v6) return ip[0] == 0 || ip[0] >= 224;
    static const std::array<uint8_t, 16> zero{};
    return ip == zero || ip[0] == 0xff;
}

}  // namespace port53::upstream
