#include "daemon/logs.hpp"

#include "base/log.hpp"
#include "server/security_log.hpp"

namespace port53::daemon {

Logs::Logs(const conf::Config& cfg, std::size_t workers, upstream::Network& network)
    : network_(network) {
    server::configure_security_log(cfg.security_log);
    if (!cfg.console.listen.empty())
        activity_ = std::make_unique<server::Activity>(cfg.console.recent_queries / workers);
    if (!cfg.query_log.file.empty()) {
        query_log_ = std::make_unique<server::QueryLog>(cfg.query_log);
        P53_LOG(info, "query log: " << (cfg.query_log.file == "-" ? "standard output"
                                                                  : cfg.query_log.file));
    }
    if (cfg.dnstap.socket.empty()) return;
    dnstap_ = std::make_unique<server::Dnstap>(cfg.dnstap, workers,
                                               std::string("port53 ") + PORT53_VERSION);
    if (cfg.dnstap.resolver) dnstap_network_ = std::make_unique<DnstapNetwork>(network, *dnstap_);
    P53_LOG(info, "dnstap: Frame Streams to " << cfg.dnstap.socket);
}

void Logs::attach(server::Server& server, ControlTargets& control) {
    server.set_taps({query_log_.get(), dnstap_.get(), activity_.get()});
    server::set_security_activity(activity_.get());
    control.logs = this;
}

void Logs::reopen() {
    if (query_log_) query_log_->reopen();
}

void Logs::reopen_on(boost::asio::signal_set& usr1) {
    wait_for_signal(usr1);
}

void Logs::wait_for_signal(boost::asio::signal_set& usr1) {
    usr1.async_wait([this, &usr1](boost::system::error_code ec, int) {
        if (ec) return;
        P53_LOG(info, "SIGUSR1: reopening the log files");
        reopen();
        wait_for_signal(usr1);
    });
}

std::string control_reopen_logs(Logs* logs) {
    if (!logs) return "error: no logs to reopen\n";
    logs->reopen();
    P53_LOG(info, "control: reopening the log files");
    return "ok\n";
}

}  // namespace port53::daemon
