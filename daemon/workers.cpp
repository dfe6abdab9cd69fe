#include "daemon/workers.hpp"

#include <boost/asio/ip/address.hpp>
#include <stdexcept>
#include <thread>

#include "base/counters.hpp"
#include "daemon/settings_mapping.hpp"
#include "daemon/views.hpp"
#include "transports/socket_options.hpp"

namespace port53::daemon {
namespace asio = boost::asio;

Workers::Workers(const conf::Config& cfg, std::size_t count)
    : cfg_(cfg),
      tcp_settings_(cfg.server.tcp),
      dot_doh_settings_(dot_doh_settings(cfg)),
      per_client_(cfg.server.tcp_max_connections_per_client) {
    tcp_settings_.per_client = &per_client_;
    dot_doh_settings_.per_client = &per_client_;
    for (const auto& l : conf::listener_access(cfg))
        listener_acls_.emplace_back(l.address, server::Acl::parse(l.rules));
    for (std::size_t i = 0; i < count; ++i)
        contexts_.push_back(std::make_unique<asio::io_context>(1));  // one thread each
}

void Workers::check_addresses_free(const TlsContexts& tls) const {
    auto check = [](const std::string& text, int type, const char* what) {
        conf::ListenAddress la = conf::parse_listen_address(text);
        auto ep = asio::ip::udp::endpoint(asio::ip::make_address(la.ip), la.port);
        if (!transports::address_free(ep.data(), static_cast<socklen_t>(ep.size()), type))
            throw std::runtime_error(std::string(what) + " " + text +
                                     " is already in use (is another port53d running?)");
    };
    for (const auto& l : cfg_.server.listen) {
        check(l, SOCK_DGRAM, "UDP");
        check(l, SOCK_STREAM, "TCP");
    }
    if (tls.dot) {
        for (const auto& l : cfg_.tls.dot_listen) check(l, SOCK_STREAM, "DoT");
        for (const auto& l : cfg_.tls.doh_listen) check(l, SOCK_STREAM, "DoH");
    }
    for (const auto& l : cfg_.tls.doh_http_listen) check(l, SOCK_STREAM, "DoH (plain HTTP)");
}

void Workers::open_listeners(server::Server& server, const TlsContexts& tls) {
    check_addresses_free(tls);
    auto dot_doh = [&](asio::io_context& io, const std::vector<std::string>& addrs,
                       transports::Frontend kind, const transports::TlsContext* ctx) {
        for (const auto& a : addrs) {
            conf::ListenAddress la = conf::parse_listen_address(a);
            asio::ip::tcp::endpoint ep(asio::ip::make_address(la.ip), la.port);
            dot_doh_.push_back(std::make_unique<transports::DotDohListener>(
                io, ep, kind, server, ctx, dot_doh_settings_, dot_doh_connections_,
                listener_view(cfg_, a)));
        }
    };
    for (auto& io : contexts_) {
        for (const auto& l : cfg_.server.listen) {
            conf::ListenAddress la = conf::parse_listen_address(l);
            auto ip = asio::ip::make_address(la.ip);
            const server::Acl* acl = nullptr;  // this address's own list, if it has one
            for (const auto& [address, list] : listener_acls_)
                if (address == l) acl = &list;
            server::ViewId view = listener_view(cfg_, l);
            udp_.push_back(std::make_unique<transports::UdpListener>(
                *io, asio::ip::udp::endpoint(ip, la.port), server, acl, view));
            tcp_.push_back(std::make_unique<transports::TcpListener>(
                *io, asio::ip::tcp::endpoint(ip, la.port), server, tcp_settings_, tcp_connections_,
                acl, view));
        }
        if (tls.dot) {
            dot_doh(*io, cfg_.tls.dot_listen, transports::Frontend::dot, tls.dot.get());
            dot_doh(*io, cfg_.tls.doh_listen, transports::Frontend::doh, tls.doh.get());
        }
        dot_doh(*io, cfg_.tls.doh_http_listen, transports::Frontend::doh_plain, nullptr);
    }
}

void Workers::start_listeners() {
    for (auto& u : udp_) u->start();
    for (auto& t : tcp_) t->start();
    for (auto& e : dot_doh_) e->start();
}

void Workers::run() {
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i)
        threads.emplace_back([this, i] {
            server::Server::bind_worker_thread(contexts_[i]->get_executor());
            base::bind_worker_counters(static_cast<int>(i));
            contexts_[i]->run();
        });
    server::Server::bind_worker_thread(contexts_.front()->get_executor());
    base::bind_worker_counters(0);
    contexts_.front()->run();
    stop();
    for (auto& t : threads) t.join();
}

void Workers::stop() {
    for (auto& c : contexts_) c->stop();
}

}  // namespace port53::daemon
