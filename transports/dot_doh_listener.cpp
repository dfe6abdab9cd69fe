#include "transports/dot_doh_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "base/counters.hpp"
#include "transports/doh_http1.hpp"
#include "transports/doh_http2.hpp"
#include "transports/stream_connection.hpp"

namespace port53::transports {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// TLS handshake, then HTTP/2 or HTTP/1.1 as ALPN decided (no ALPN: HTTP/1.1).
base::awaitable<void> start_doh(std::unique_ptr<TlsStream> s, server::FrontDoor& front_door,
                                const DotDohSettings& settings, tcp::endpoint peer,
                                server::ViewId view) {
    // (co_await kept out of conditions: g++ 12 miscompiles some of those)
    bool ok = co_await tls_handshake(*s, settings.idle_timeout);
    if (!ok) co_return;
    if (negotiated_alpn(s->stream.native_handle()) == "h2")
        std::make_shared<Http2Session>(std::move(s), front_door, settings, peer, view)->start();
    else
        std::make_shared<Http1Session<TlsStream>>(std::move(s), front_door, settings,
                                                  peer.address(), view)
            ->start();
    co_return;
}

}  // namespace

DotDohListener::DotDohListener(asio::io_context& io, const tcp::endpoint& ep, Frontend kind,
                               server::FrontDoor& front_door, const TlsContext* tls,
                               const DotDohSettings& settings,
                               std::atomic<std::size_t>& connections, server::ViewId view,
                               std::shared_ptr<const server::ProxyTrust> proxy)
    : kind_(kind),
      front_door_(front_door),
      tls_(tls),
      settings_(settings),
      connections_(connections),
      dot_limits_{settings.idle_timeout, settings.max_pipelined, settings.acl.get(), view},
      acceptor_(io, ep, "DoT/DoH", settings.max_connections, settings.per_client, connections,
                [this](tcp::socket s, const tcp::endpoint& peer, std::unique_ptr<ClientSlot> c) {
                    serve(std::move(s), peer, std::move(c));
                },
                {std::move(proxy), settings.idle_timeout,
                 kind == Frontend::dot   ? "dot"
                 : kind == Frontend::doh ? "doh"
                                         : "doh-http"}) {}

void DotDohListener::serve(tcp::socket socket, const tcp::endpoint& peer,
                           std::unique_ptr<ClientSlot> client) {
    base::counters().connection(kind_ == Frontend::dot ? base::Transport::dot
                                                       : base::Transport::doh);
    switch (kind_) {
        case Frontend::dot: {
            auto conn = std::make_shared<DotConnection>(std::move(socket), peer, tls_->current(),
                                                        front_door_, dot_limits_, connections_);
            conn->hold(std::move(client));
            conn->start();
            break;
        }
        case Frontend::doh: {
            auto s = std::make_unique<TlsStream>(std::move(socket), tls_->current(), connections_);
            s->slot.client = std::move(client);
            auto ex = s->stream.get_executor();
            asio::co_spawn(ex,
                           start_doh(std::move(s), front_door_, settings_, peer, dot_limits_.view),
                           asio::detached);
            break;
        }
        case Frontend::doh_plain: {
            auto s = std::make_unique<PlainStream>(std::move(socket), connections_);
            s->slot.client = std::move(client);
            std::make_shared<Http1Session<PlainStream>>(std::move(s), front_door_, settings_,
                                                        peer.address(), dot_limits_.view)
                ->start();
            break;
        }
    }
}

}  // namespace port53::transports
