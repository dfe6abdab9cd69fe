#include "daemon/workers.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <stdexcept>
#include <thread>

#include "base/counters.hpp"
#include "base/log.hpp"
#include "daemon/settings_mapping.hpp"
#include "daemon/views.hpp"
#include "server/proxy_trust.hpp"
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
    for (std::size_t i = 0; i < count; ++i) {
        contexts_.push_back(std::make_unique<asio::io_context>(1));  // one thread each
        keep_running_.push_back(asio::make_work_guard(*contexts_.back()));
    }
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

std::vector<Workers::Wanted> Workers::wanted(const conf::Config& cfg, const TlsContexts& tls) {
    std::vector<Wanted> out;
    auto acls = conf::listener_access(cfg);
    // One policy for all the listeners that expect PROXY headers; its networks are in their
    // keys, so a reload that changes them opens those listeners anew.
    const auto& pp = cfg.proxy_protocol;
    auto policy = pp.from.empty() ? nullptr : std::make_shared<const server::ProxyTrust>(pp.from);
    std::string proxy_key = " proxy";
    for (const auto& net : pp.from) proxy_key += " " + net;
    auto proxy_for = [&](const std::string& address) {
        bool expects = pp.listeners.empty() || std::find(pp.listeners.begin(), pp.listeners.end(),
                                                         address) != pp.listeners.end();
        return expects ? policy : nullptr;
    };
    for (const auto& l : cfg.server.listen) {
        Wanted w{"udp+tcp " + l, l, 0, nullptr, listener_view(cfg, l), proxy_for(l)};
        for (const auto& a : acls) {
            if (a.address != l) continue;
            // The same rules as a listener already has: share its list.
            server::Acl acl = server::Acl::parse(a.rules);
            auto same = std::find_if(listener_acls_.begin(), listener_acls_.end(),
                                     [&](const server::Acl& x) { return x.text() == acl.text(); });
            w.acl = same != listener_acls_.end() ? &*same : &listener_acls_.emplace_back(acl);
            for (const auto& rule : a.rules) w.key += " " + rule;
        }
        out.push_back(std::move(w));
    }
    auto streams = [&](const std::vector<std::string>& addrs, transports::Frontend kind,
                       const char* what) {
        for (const auto& a : addrs)
            out.push_back({std::string(what) + " " + a, a, static_cast<int>(kind) + 1, nullptr,
                           listener_view(cfg, a), proxy_for(a)});
    };
    if (tls.dot) {
        streams(cfg.tls.dot_listen, transports::Frontend::dot, "dot");
        streams(cfg.tls.doh_listen, transports::Frontend::doh, "doh");
    }
    streams(cfg.tls.doh_http_listen, transports::Frontend::doh_plain, "doh-http");
    for (auto& w : out) w.key += " view " + std::to_string(w.view) + (w.proxy ? proxy_key : "");
    return out;
}

Workers::Listening Workers::open(const Wanted& w, std::size_t worker, server::Server& server,
                                 const TlsContexts& tls) {
    asio::io_context& io = *contexts_[worker];
    conf::ListenAddress la = conf::parse_listen_address(w.address);
    auto ip = asio::ip::make_address(la.ip);
    Listening l{w.key, worker, nullptr, nullptr, nullptr};
    if (w.kind == 0) {
        l.udp = std::make_unique<transports::UdpListener>(io, asio::ip::udp::endpoint(ip, la.port),
                                                          server, w.acl, w.view, w.proxy);
        l.tcp = std::make_unique<transports::TcpListener>(io, asio::ip::tcp::endpoint(ip, la.port),
                                                          server, tcp_settings_, tcp_connections_,
                                                          w.acl, w.view, w.proxy);
        return l;
    }
    auto kind = static_cast<transports::Frontend>(w.kind - 1);
    const transports::TlsContext* ctx = kind == transports::Frontend::dot   ? tls.dot.get()
                                        : kind == transports::Frontend::doh ? tls.doh.get()
                                                                            : nullptr;
    l.stream = std::make_unique<transports::DotDohListener>(
        io, asio::ip::tcp::endpoint(ip, la.port), kind, server, ctx, dot_doh_settings_,
        dot_doh_connections_, w.view, w.proxy);
    return l;
}

void Workers::open_listeners(server::Server& server, const TlsContexts& tls) {
    check_addresses_free(tls);
    std::vector<Wanted> want = wanted(cfg_, tls);
    for (std::size_t i = 0; i < contexts_.size(); ++i)
        for (const auto& w : want) listening_.push_back(open(w, i, server, tls));
}

void Workers::start_listeners() {
    for (auto& l : listening_) {
        if (l.udp) l.udp->start();
        if (l.tcp) l.tcp->start();
        if (l.stream) l.stream->start();
    }
}

std::pair<std::size_t, std::size_t> Workers::update_listeners(const conf::Config& next,
                                                              server::Server& server,
                                                              const TlsContexts& tls) {
    std::vector<Wanted> want = wanted(next, tls);
    auto is_wanted = [&](const Listening& l) {
        return std::any_of(want.begin(), want.end(),
                           [&](const Wanted& w) { return w.key == l.key; });
    };
    std::size_t closed = 0, opened = 0;
    // Closed first, so an address whose access list changed can be bound again.
    for (auto it = listening_.begin(); it != listening_.end();) {
        if (is_wanted(*it)) {
            ++it;
            continue;
        }
        Listening* l = &closed_.emplace_back(std::move(*it));
        it = listening_.erase(it);
        asio::post(*contexts_[l->worker],
                   [udp = l->udp.get(), tcp = l->tcp.get(), stream = l->stream.get()] {
                       if (udp) udp->close();
                       if (tcp) tcp->close();
                       if (stream) stream->close();
                   });
        closed += l->worker == 0 ? 1 : 0;  // addresses, not one per worker
    }
    for (const auto& w : want) {
        bool have = std::any_of(listening_.begin(), listening_.end(),
                                [&](const Listening& l) { return l.key == w.key; });
        if (have) continue;
        try {
            for (std::size_t i = 0; i < contexts_.size(); ++i) {
                Listening& l = listening_.emplace_back(open(w, i, server, tls));
                asio::post(*contexts_[i],
                           [udp = l.udp.get(), tcp = l.tcp.get(), stream = l.stream.get()] {
                               if (udp) udp->start();
                               if (tcp) tcp->start();
                               if (stream) stream->start();
                           });
            }
            ++opened;
        } catch (const std::exception& e) {
            P53_LOG(error, "reload: cannot listen on " << w.address << ": " << e.what());
        }
    }
    return {opened, closed};
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
