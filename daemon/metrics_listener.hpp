// The Prometheus scrape endpoint (in daemon/: it checks its own access list, which the
// transports layer does not see): GET /metrics answered with the text exposition format
// (version 0.0.4) on an address of its own, over HTTP/1.1 with Boost.Beast. Off unless
// [metrics] listen names an address; its own access list (loopback only by default), since
// the figures say much about the network behind the resolver. What the page holds is the
// caller's (`Render`): this file frames it.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <vector>

#include "base/coro.hpp"
#include "server/acl.hpp"
#include "transports/metrics_settings.hpp"

namespace port53::daemon {

class MetricsListener {
  public:
    using Render = std::function<std::string()>;
    // Binds now (throws boost::system::system_error if the address is taken).
    MetricsListener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& ep,
                    server::Acl acl, Render render);
    void start();

  private:
    base::awaitable<void> accept_loop();
    base::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

    boost::asio::ip::tcp::acceptor acceptor_;
    server::Acl acl_;
    Render render_;
    int open_ = 0;  // connections being served (one io_context: no lock)
};

}  // namespace port53::daemon
