// Who may use the resolver (like Unbound's access-control): the most specific matching
// network decides; a client no rule matches is REFUSED. The default (server/settings.hpp)
// allows loopback and private ranges, so port53 is never an open resolver by accident.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace port53::server {

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
    struct Rule {
        std::array<uint8_t, 16> net{};
        uint8_t bits = 0;
        bool v6 = false;
        AclAction action = AclAction::allow;
    };
    std::vector<Rule> rules_;  // most specific first
    std::vector<std::string> text_;
};

}  // namespace port53::server
