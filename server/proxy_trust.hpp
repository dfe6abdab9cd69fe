// Who may speak for a client with a PROXY v2 header (issue 15): the networks of
// proxy_protocol.from. The transports that strip the headers see it only through
// server/front_door.hpp (proxy_trusted, proxy_dropped), as they see the access lists.
#pragma once
#include <sys/socket.h>

#include <string>
#include <vector>

#include "server/acl.hpp"
#include "server/front_door.hpp"

namespace port53::server {

class ProxyTrust {
  public:
    // "NET/LEN" or single addresses; throws std::invalid_argument naming a bad one.
    explicit ProxyTrust(const std::vector<std::string>& from);
    // An IPv4-mapped sender (a dual-stack socket) as the IPv4 address it maps.
    bool trusted(const sockaddr* peer) const noexcept;

  private:
    std::vector<Network> from_;
};

}  // namespace port53::server
