// DoH over HTTP/1.1 with Boost.Beast, on TLS (ALPN "http/1.1" or none) or on the optional
// plain-HTTP listener behind a reverse proxy. Requests on one connection are answered in
// order (HTTP/1.1 has no other way); keep-alive, idle timeout, 64 KiB body limit.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "server/front_door.hpp"
#include "transports/doh_response.hpp"
#include "transports/forwarded_for.hpp"
#include "transports/http_stream.hpp"

namespace port53::transports {

// Stream: TlsStream or PlainStream (explicitly instantiated for both).
template <typename Stream>
class Http1Session : public std::enable_shared_from_this<Http1Session<Stream>> {
  public:
    // `peer`: the TCP peer; with trusted proxies configured, X-Forwarded-For may name the
    // real client (used only for debug logging: nothing about clients is logged by default).
    // `view`: the listener's view (0: none); a view's own DoH path wins over it.
    Http1Session(std::unique_ptr<Stream> stream, server::FrontDoor& front_door,
                 const DotDohSettings& settings, boost::asio::ip::address peer,
                 server::ViewId view = 0);
    void start();

  private:
    base::awaitable<void> run();
    base::awaitable<DohResponse> answer(const HttpRequest& req, const ProxyHeaders& proxy);
    base::awaitable<bool> write(const DohResponse& r, unsigned version, bool keep_alive);
    void arm_idle_timer();
    base::awaitable<void> discard_unread_body();

    std::unique_ptr<Stream> stream_;
    server::FrontDoor& front_door_;
    const DotDohSettings& settings_;
    boost::asio::ip::address peer_;
    server::ViewId view_;
    boost::asio::steady_timer idle_timer_;
    boost::asio::steady_timer wake_;     // signals that `result_` has arrived
    std::optional<DohResponse> result_;  // the answer to the request being served
};

extern template class Http1Session<TlsStream>;
extern template class Http1Session<PlainStream>;

}  // namespace port53::transports
