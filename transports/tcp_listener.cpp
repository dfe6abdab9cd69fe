#include "transports/tcp_listener.hpp"

#include "base/counters.hpp"

namespace port53::transports {
namespace asio = boost::asio;
using asio::ip::tcp;

TcpListener::TcpListener(asio::io_context& io, const tcp::endpoint& ep,
                         server::FrontDoor& front_door, const TcpSettings& settings,
                         std::atomic<std::size_t>& connections, const server::Acl* acl,
                         server::ViewId view, std::shared_ptr<const server::ProxyTrust> proxy)
    : front_door_(front_door),
      connections_(connections),
      limits_{settings.idle_timeout, settings.max_pipelined, acl, view},
      acceptor_(io, ep, "TCP", settings.max_connections, settings.per_client, connections,
                [this](tcp::socket s, const tcp::endpoint& peer, std::unique_ptr<ClientSlot> c) {
                    serve(std::move(s), peer, std::move(c));
                },
                {std::move(proxy), settings.idle_timeout, "tcp"}) {}

void TcpListener::serve(tcp::socket socket, const tcp::endpoint& peer,
                        std::unique_ptr<ClientSlot> client) {
    base::counters().connection(base::Transport::tcp);
    auto conn = std::make_shared<TcpConnection>(std::move(socket), peer, front_door_, limits_,
                                                connections_);
    conn->hold(std::move(client));
    conn->start();
}

}  // namespace port53::transports
