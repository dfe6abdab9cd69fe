// Who may use the resolver (like Unbound's access-control): the most specific matching
// network decides; a client no rule matches is REFUSED. The default (server/settings.hpp)
// allows loopback and private ranges, so port53 is never an open resolver by accident.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace port53::server {

// One client network, "NET/LEN" or a single address; shared by the access list and the
// views' client networks (server/views.hpp).
struct Network {
    std::array<uint8_t, 16> net{};
    uint8_t bits = 0;
    bool v6 = false;
    static std::optional<Network> parse(std::string_view text);
    bool contains(const uint8_t* addr, bool addr_v6) const noexcept;
};

// The address bytes of a client (an IPv4-mapped IPv6 address as the IPv4 address it
// maps, the client on a dual-stack socket), setting `v6`; null for other families.
const uint8_t* client_address(const sockaddr* sa, bool& v6) noexcept;

enum class AclAction : uint8_t {
    allow,
    refuse,  // answer REFUSED
    deny,    // drop silently
};

class Acl {
  public:
    // Rules like "10.0.0.0/8 allow", "2001:db8::/32 refuse", "192.0.2.1 deny";
    // throws std::invalid_argument naming the bad rule.
    static Acl parse(const std::vector<std::string>& rules);

    AclAction check(const sockaddr* addr) const noexcept;
    // The rules as they were written, in their order (for the configuration reference).
    const std::vector<std::string>& text() const { return text_; }

  private:
    struct Rule : Network {
        AclAction action = AclAction::allow;
    };
    std::vector<Rule> rules_;  // most specific first
    std::vector<std::string> text_;
};

}  // namespace port53::server
