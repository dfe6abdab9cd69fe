// Accepts stream connections (TCP, DoT, DoH, plain-HTTP DoH) on one address for one worker
// (SO_REUSEPORT: every worker has its own acceptor) and admits each under two caps before
// handing it on: the connections of its kind open over all workers, and its client's share
// (ClientConnections: one table over TCP, DoT and DoH). The one copy of that admission.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "transports/client_connections.hpp"
#include "transports/proxy_policy.hpp"

namespace port53::transports {

// A listener that expects PROXY v2 headers (transports/proxy_stream.hpp): from whom, how long
// a proxy may take to send it, and the transport's name for the log.
struct StreamProxy {
    std::shared_ptr<const server::ProxyTrust> policy;  // null: no header expected
    std::chrono::milliseconds timeout{0};
    const char* what = "";
};

class StreamAcceptor {
  public:
    // Gets each admitted connection (TCP_NODELAY set), its peer (the client a trusted proxy's
    // header named, on a listener that expects one) and its client's slot (null without a
    // per-client cap), which the connection keeps for as long as it lives.
    using Serve =
        std::function<void(boost::asio::ip::tcp::socket, const boost::asio::ip::tcp::endpoint& peer,
                           std::unique_ptr<ClientSlot> client)>;

    // `what` names the kind in the log ("TCP"); `open` counts that kind's connections over
    // all workers (each connection's ConnectionSlot), and at `max_connections` new ones are
    // refused. `per_client` null: no per-client cap; it counts the real client of a proxied
    // connection, read from its header first.
    StreamAcceptor(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& ep,
                   std::string what, std::size_t max_connections, ClientConnections* per_client,
                   std::atomic<std::size_t>& open, Serve serve, StreamProxy proxy = {});
    void start();
    // Accepts no more connections (a reload removed the address), on its worker; those open
    // go on.
    void close() {
        boost::system::error_code ec;
        acceptor_.close(ec);
    }
    // Where it listens (port 0 asked for: the port the kernel chose).
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  private:
    void accept();
    void admit(boost::asio::ip::tcp::socket socket);
    // `client`: the slot already held for it, or null to take one now.
    void admit_client(boost::asio::ip::tcp::socket socket,
                      const boost::asio::ip::tcp::endpoint& peer,
                      std::unique_ptr<ClientSlot> client);
    // The client's share of connections (null without a per-client cap); false: refused.
    bool take_slot(const boost::asio::ip::tcp::endpoint& peer,
                   std::unique_ptr<ClientSlot>& client) const;

    boost::asio::ip::tcp::acceptor acceptor_;
    std::string what_;
    std::size_t max_connections_;
    ClientConnections* per_client_;
    std::atomic<std::size_t>& open_;  // counted by the connections (and their header waits)
    Serve serve_;
    StreamProxy proxy_;
};

}  // namespace port53::transports
