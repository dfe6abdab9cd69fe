// Split horizon: which view a query belongs to. A view is a group of clients with its own
// answer sources and routes (an engine::Engine each, wired by daemon/) and its own part of
// the answer cache (the view is in the key). The order, first match winning:
//   1. the DoH path the query was sent to (tls.doh_path's siblings in view.doh_paths),
//   2. the listener it came in on (view.listeners),
//   3. the client's network (view.clients), the most specific network of all views winning
//      as in access_control,
// else the default view (0), the top-level configuration. Transports resolve 1 and 2 into
// the hint they pass (server/front_door.hpp); this class does 3. With no client networks
// configured select() is one branch: a cache hit pays nothing more.
#pragma once
#include <sys/socket.h>

#include <string>
#include <vector>

#include "server/acl.hpp"
#include "server/front_door.hpp"

namespace port53::server {

class ViewSelector {
  public:
    // Adds the networks ("NET/LEN" or an address) whose clients get view `view` (1 and up);
    // throws std::invalid_argument naming a bad one.
    void add_clients(ViewId view, const std::vector<std::string>& networks);

    ViewId select(ViewId hint, const sockaddr* client) const noexcept {
        if (hint != 0 || nets_.empty() || client == nullptr) return hint;
        return by_client(client);
    }

  private:
    ViewId by_client(const sockaddr* client) const noexcept;
    struct Net : Network {
        ViewId view = 0;
    };
    std::vector<Net> nets_;  // most specific first
};

}  // namespace port53::server
