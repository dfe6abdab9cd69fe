// The daemon's logs besides stderr (issue 12): the query log (server/query_log.hpp), dnstap
// (server/dnstap.hpp: the client side from the server, the resolver side from a wrapped
// network), the security-event rate (server/security_log.hpp), and reopening the files for
// logrotate on SIGUSR1 and `port53-ctl reopen-logs`.
#pragma once
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <string>

#include "conf/config.hpp"
#include "daemon/control_commands.hpp"
#include "daemon/dnstap_network.hpp"
#include "server/activity.hpp"
#include "server/dnstap.hpp"
#include "server/query_log.hpp"
#include "server/server.hpp"

namespace port53::daemon {

class Logs {
  public:
    // Opens the configured files (still privileged: they may be root's) and starts dnstap's
    // writer for `workers` threads. Built before the engine, which sends through network().
    // Throws std::runtime_error naming a file or socket it cannot use.
    Logs(const conf::Config& cfg, std::size_t workers, upstream::Network& network);
    // The network the engine should use: `network`, or it wrapped for dnstap.
    upstream::Network& network() {
        if (dnstap_network_) return *dnstap_network_;
        return network_;
    }
    // Hands the query log and dnstap's client side to the server, and itself to
    // port53-ctl's reopen-logs.
    void attach(server::Server& server, ControlTargets& control);
    // What the web console shows of recent queries (null: no console).
    const server::Activity* activity() const { return activity_.get(); }
    // Logrotate moved the files away: write to new ones under the configured names.
    void reopen();
    // Reopens whenever `usr1` (the caller's, on a worker's io_context, so it goes with
    // the workers) reports SIGUSR1.
    void reopen_on(boost::asio::signal_set& usr1);

  private:
    void wait_for_signal(boost::asio::signal_set& usr1);
    upstream::Network& network_;
    std::unique_ptr<server::QueryLog> query_log_;
    std::unique_ptr<server::Dnstap> dnstap_;
    std::unique_ptr<DnstapNetwork> dnstap_network_;
    std::unique_ptr<server::Activity> activity_;
};

// port53-ctl reopen-logs.
std::string control_reopen_logs(Logs* logs);

}  // namespace port53::daemon
