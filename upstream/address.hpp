// An authority server's address: IPv4 or IPv6 plus port, small and copyable.
#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace port53::upstream {

struct ServerAddr {
    std::array<uint8_t, 16> ip{};
    bool v6 = false;
    uint16_t port = 53;

    static std::optional<ServerAddr> parse(std::string_view text, uint16_t port = 53);
    // From the rdata of an A or AAAA record.
    static std::optional<ServerAddr> from_rdata(uint16_t type, std::string_view rdata);
    std::string to_string() const;  // "192.0.2.1:53" or "[2001:db8::1]:53"
    std::string key() const;        // compact binary form for hash maps
    bool is_loopback() const;
    bool is_unusable() const;  // unspecified or multicast: never worth a packet
    auto operator<=>(const ServerAddr&) const = default;
};

}  // namespace port53::upstream
