#include "transports/stream_acceptor.hpp"

#include "base/counters.hpp"
#include "base/log.hpp"
#include "transports/proxy_stream.hpp"
#include "transports/socket_options.hpp"

namespace port53::transports {
namespace asio = boost::asio;
using asio::ip::tcp;

StreamAcceptor::StreamAcceptor(asio::io_context& io, const tcp::endpoint& ep, std::string what,
                               std::size_t max_connections, ClientConnections* per_client,
                               std::atomic<std::size_t>& open, Serve serve, StreamProxy proxy)
    : acceptor_(io),
      what_(std::move(what)),
      max_connections_(max_connections),
      per_client_(per_client),
      open_(open),
      serve_(std::move(serve)),
      proxy_(std::move(proxy)) {
    acceptor_.open(ep.protocol());
    prepare_listening_socket(acceptor_.native_handle(), ep.address().is_v6());
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void StreamAcceptor::start() {
    accept();
}

void StreamAcceptor::accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) admit(std::move(socket));
        accept();
    });
}

void StreamAcceptor::admit(tcp::socket socket) {
    // A refused connection is closed as `socket` goes out of scope.
    if (open_.load() >= max_connections_) {
        base::counters().refusal(base::Refusal::connection_cap);
        P53_LOG(warning, what_ << " connection limit reached; refusing a connection");
        return;
    }
    boost::system::error_code ec;
    tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    if (!proxy_.policy) return admit_client(std::move(socket), peer, nullptr);
    // A trusted proxy's share is taken for the client its header names, once read.
    std::unique_ptr<ClientSlot> client;
    if (!server::proxy_trusted(*proxy_.policy, peer.data()) && !take_slot(peer, client)) return;
    read_proxy_header(
        {std::move(socket), peer, std::move(client)}, proxy_.policy, proxy_.timeout, open_,
        proxy_.what,
        [this](tcp::socket s, const tcp::endpoint& who, std::unique_ptr<ClientSlot> c) {
            admit_client(std::move(s), who, std::move(c));
        });
}

bool StreamAcceptor::take_slot(const tcp::endpoint& peer,
                               std::unique_ptr<ClientSlot>& client) const {
    if (!per_client_) return true;
    client = std::make_unique<ClientSlot>(*per_client_, peer.data());
    if (client->held()) return true;
    base::counters().refusal(base::Refusal::connection_cap);
    P53_LOG(info, "per-client connection limit reached for " << peer.address().to_string() << " ("
                                                             << what_ << ")");
    return false;
}

void StreamAcceptor::admit_client(tcp::socket socket, const tcp::endpoint& peer,
                                  std::unique_ptr<ClientSlot> client) {
    if (!client && !take_slot(peer, client)) return;
    set_no_delay(socket.native_handle());
    serve_(std::move(socket), peer, std::move(client));
}

}  // namespace port53::transports
