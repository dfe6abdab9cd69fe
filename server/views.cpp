#include "server/views.hpp"

#include <algorithm>
#include <stdexcept>

namespace port53::server {

void ViewSelector::add_clients(ViewId view, const std::vector<std::string>& networks) {
    for (const auto& text : networks) {
        auto n = Network::parse(text);
        if (!n) throw std::invalid_argument("not a network (NET/LEN or an address): " + text);
        Net net;
        static_cast<Network&>(net) = *n;
        net.view = view;
        nets_.push_back(net);
    }
    // Stable: of two views naming the same network, the first configured wins.
    std::stable_sort(nets_.begin(), nets_.end(),
                     [](const Net& a, const Net& b) { return a.bits > b.bits; });
}

ViewId ViewSelector::by_client(const sockaddr* client) const noexcept {
    bool v6 = false;
    const uint8_t* addr = client_address(client, v6);
    if (!addr) return 0;
    for (const auto& n : nets_)
        if (n.contains(addr, v6)) return n.view;
    return 0;
}

}  // namespace port53::server
