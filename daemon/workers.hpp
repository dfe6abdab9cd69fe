// The worker threads: one io_context each, each with its own listeners on every configured
// address (SO_REUSEPORT spreads clients over them); worker 0 runs on the calling thread.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "conf/config.hpp"
#include "daemon/tls_setup.hpp"
#include "server/server.hpp"
#include "transports/client_connections.hpp"
#include "transports/dot_doh_listener.hpp"
#include "transports/tcp_listener.hpp"
#include "transports/udp_listener.hpp"

namespace port53::daemon {

class Workers {
  public:
    Workers(const conf::Config& cfg, std::size_t count);

    // Binds every listener (needs the privileges for port 53); throws on failure.
    void open_listeners(server::Server& server, const TlsContexts& tls);
    // Refuses to start when another process holds a listen address (see address_free).
    void check_addresses_free(const TlsContexts& tls) const;
    void start_listeners();
    boost::asio::io_context& front() { return *contexts_.front(); }
    std::size_t size() const { return contexts_.size(); }
    // Runs until stop(); returns once every worker has finished.
    void run();
    void stop();

  private:
    // The order of these members is what makes shutdown safe; members are destroyed in
    // reverse. Connections run as detached coroutines that hold references to the settings,
    // the per-client table and the connection counters (ClientSlot and the counter are
    // released in their destructors). Those coroutine frames are destroyed with their
    // io_context, so everything they refer to is declared before `contexts_` and outlives
    // it. The listeners own acceptor sockets registered with an io_context, so they are
    // declared after `contexts_` and closed while it still exists. `cfg_` is the caller's
    // (daemon/main.cpp), which outlives the Workers.
    const conf::Config& cfg_;
    transports::TcpSettings tcp_settings_;
    transports::DotDohSettings dot_doh_settings_;
    transports::ClientConnections per_client_;  // one share per client over TCP, DoT, DoH
    std::atomic<std::size_t> tcp_connections_{0}, dot_doh_connections_{0};
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<std::unique_ptr<transports::UdpListener>> udp_;
    std::vector<std::unique_ptr<transports::TcpListener>> tcp_;
    std::vector<std::unique_ptr<transports::DotDohListener>> dot_doh_;
    // Access lists of single listen addresses (server.listen_access_control), by address.
    std::vector<std::pair<std::string, server::Acl>> listener_acls_;
};

}  // namespace port53::daemon
