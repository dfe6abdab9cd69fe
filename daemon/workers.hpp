// The worker threads: one io_context each, each with its own listeners on every configured
// address (SO_REUSEPORT spreads clients over them); worker 0 runs on the calling thread.
#pragma once
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <memory>
#include <string>
#include <utility>
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
    // A reload (daemon/reload.hpp), on worker 0: the addresses of `next` that are not
    // listened on yet are opened and started on every worker, those no longer in it are
    // closed (their open connections go on). An address that changed its access list or
    // view is closed and opened anew. One that cannot be opened is logged and left out.
    // Returns how many were opened and closed, for the log.
    std::pair<std::size_t, std::size_t> update_listeners(const conf::Config& next,
                                                         server::Server& server,
                                                         const TlsContexts& tls);
    boost::asio::io_context& front() { return *contexts_.front(); }
    std::size_t size() const { return contexts_.size(); }
    boost::asio::io_context& worker(std::size_t i) { return *contexts_[i]; }
    // Runs until stop(); returns once every worker has finished.
    void run();
    void stop();

  private:
    // One address of one kind (UDP and TCP together, DoT, DoH or plain DoH) on one worker;
    // `key` says what it is (kind, address, access list, view) so a reload can compare.
    struct Listening {
        std::string key;
        std::size_t worker = 0;
        std::unique_ptr<transports::UdpListener> udp;
        std::unique_ptr<transports::TcpListener> tcp;
        std::unique_ptr<transports::DotDohListener> stream;
    };
    // What a configuration wants listened on (each on every worker).
    struct Wanted {
        std::string key;
        std::string address;  // as written
        int kind;             // 0 UDP+TCP, else transports::Frontend + 1
        const server::Acl* acl;
        server::ViewId view;
        std::shared_ptr<const server::ProxyTrust> proxy;  // null: no PROXY header expected
    };
    std::vector<Wanted> wanted(const conf::Config& cfg, const TlsContexts& tls);
    Listening open(const Wanted& w, std::size_t worker, server::Server& server,
                   const TlsContexts& tls);

    // The order of these members is what makes shutdown safe; members are destroyed in
    // reverse. Connections run as detached coroutines that hold references to the settings,
    // the per-client table and the connection counters (ClientSlot and the counter are
    // released in their destructors). Those coroutine frames are destroyed with their
    // io_context, so everything they refer to is declared before `contexts_` and outlives
    // it. The listeners own acceptor sockets registered with an io_context, so they are
    // declared after `contexts_` and closed while it still exists. `cfg_` is the caller's
    // (daemon/main.cpp), which outlives the Workers; a reload reads its own.
    const conf::Config& cfg_;
    transports::TcpSettings tcp_settings_;
    transports::DotDohSettings dot_doh_settings_;
    transports::ClientConnections per_client_;  // one share per client over TCP, DoT, DoH
    std::atomic<std::size_t> tcp_connections_{0}, dot_doh_connections_{0};
    // Access lists of single listen addresses (server.listen_access_control), by address;
    // a deque, so the listeners' pointers stay valid as reloads add more.
    std::deque<server::Acl> listener_acls_;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    // Keeps each run() going while its worker has nothing to wait for: a reload closes a
    // worker's listeners before it posts the new ones' start, and an io_context with no
    // work left in between returns from run() and its thread ends (the new sockets then
    // were never read). stop() ends the workers.
    using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<WorkGuard> keep_running_;
    std::vector<Listening> listening_;
    // Closed by reloads: their connections (and late UDP replies) still refer to them.
    std::vector<Listening> closed_;
};

}  // namespace port53::daemon
