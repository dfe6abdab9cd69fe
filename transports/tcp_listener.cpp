#include "transports/tcp_listener.hpp"

#include "base/log.hpp"
#include "transports/socket_options.hpp"
#include "transports/stream_connection.hpp"

namespace port53::transports {
namespace asio = boost::asio;
using asio::ip::tcp;

TcpListener::TcpListener(asio::io_context& io, const tcp::endpoint& ep,
                         server::FrontDoor& front_door, const TcpSettings& settings,
                         std::atomic<std::size_t>& connections, const server::Acl* acl)
    : acceptor_(io),
      front_door_(front_door),
      settings_(settings),
      connections_(connections),
      limits_{settings.idle_timeout, settings.max_pipelined, acl} {
    acceptor_.open(ep.protocol());
    prepare_listening_socket(acceptor_.native_handle(), ep.address().is_v6());
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void TcpListener::start() {
    accept();
}

void TcpListener::accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            if (connections_.load() >= settings_.max_connections) {
                P53_LOG(warning, "TCP connection limit reached; refusing a connection");
                boost::system::error_code ignored;
                socket.close(ignored);
            } else {
                std::unique_ptr<ClientSlot> slot;
                boost::system::error_code rec;
                auto remote = socket.remote_endpoint(rec);
                if (settings_.per_client && !rec)
                    slot = std::make_unique<ClientSlot>(*settings_.per_client, remote.data());
                if (slot && !slot->held()) {
                    P53_LOG(info, "per-client TCP connection limit reached for "
                                      << remote.address().to_string());
                    boost::system::error_code ignored;
                    socket.close(ignored);
                } else {
                    auto conn = std::make_shared<TcpConnection>(std::move(socket), remote,
                                                                front_door_, limits_, connections_);
                    conn->hold(std::move(slot));
                    conn->start();
                }
            }
        }
        accept();
    });
}

}  // namespace port53::transports
