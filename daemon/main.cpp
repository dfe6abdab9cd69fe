// port53d: wires configuration, caches, engine and transports together and runs the workers.
#include <getopt.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "cache/answer_cache.hpp"
#include "cache/clock.hpp"
#include "cache/rrset_cache.hpp"
#include "conf/config.hpp"
#include "daemon/privileges.hpp"
#include "dnssec/trust_anchors.hpp"
#include "resolver/asio_network.hpp"
#include "resolver/engine/engine.hpp"
#include "resolver/infra.hpp"
#include "resolver/log.hpp"
#include "resolver/root_hints.hpp"
#include "resolver/server.hpp"
#include "transports/encrypted_listener.hpp"
#include "transports/tcp_listener.hpp"
#include "transports/tls_context.hpp"
#include "transports/udp_listener.hpp"

namespace {

using namespace port53;
namespace asio = boost::asio;

void usage() {
    std::fprintf(stderr,
                 "usage: port53d -c FILE      run with the configuration in FILE\n"
                 "       port53d --check -c FILE   check FILE and exit\n"
                 "       port53d --config-reference   print the settings table (Markdown)\n");
}

log::Level level_of(const std::string& s) {
    if (s == "debug") return log::Level::debug;
    if (s == "warning") return log::Level::warning;
    if (s == "error") return log::Level::error;
    return log::Level::info;
}

resolver::EngineSettings engine_settings(const conf::Config& c) {
    resolver::EngineSettings e;
    e.qname_minimisation = c.qname_minimisation;
    e.use_0x20 = c.use_0x20;
    e.allow_loopback_upstream = c.allow_loopback_upstream;
    e.use_ipv4 = c.ipv4;
    e.use_ipv6 = c.ipv6;
    e.edns_buffer_size = static_cast<uint16_t>(c.edns_buffer_size);
    e.max_upstream_queries = static_cast<int>(c.max_upstream_queries);
    e.max_referrals = static_cast<int>(c.max_referrals);
    e.max_cname_chain = static_cast<int>(c.max_cname_chain);
    e.max_ns_lookups = static_cast<int>(c.max_ns_lookups);
    e.query_timeout = std::chrono::milliseconds(c.query_timeout_ms);
    e.validate = c.dnssec_validation;
    e.dnssec_limits.nsec3_max_iterations = static_cast<uint16_t>(c.nsec3_max_iterations);
    auto anchors = c.trust_anchor.empty() ? dnssec::TrustAnchors::builtin()
                                          : dnssec::TrustAnchors::load(c.trust_anchor);
    for (const auto& nta : c.negative_trust_anchors)
        if (auto n = wire::Name::from_text(nta)) anchors.add_negative(*n);
    e.anchors = std::make_shared<const dnssec::TrustAnchors>(std::move(anchors));
    return e;
}

transports::EncryptedSettings encrypted_settings(const conf::Config& c) {
    transports::EncryptedSettings e;
    e.idle_timeout = std::chrono::milliseconds(c.tls_idle_timeout_ms);
    e.max_connections = static_cast<std::size_t>(c.tls_max_connections);
    e.max_pipelined = static_cast<std::size_t>(c.tcp_max_pipelined);
    e.max_streams = static_cast<uint32_t>(c.doh_max_streams);
    e.doh_path = c.doh_path;
    for (const auto& ip : c.trusted_proxies) e.trusted_proxies.push_back(asio::ip::make_address(ip));
    return e;
}

// DoT and DoH contexts (ALPN differs), or none without a certificate. Throws naming the
// file when the certificate or key is missing or invalid.
struct TlsContexts {
    std::unique_ptr<transports::TlsContext> dot, doh;
};
TlsContexts load_tls(const conf::Config& c) {
    TlsContexts t;
    if (c.tls_certificate.empty()) return t;
    t.dot = std::make_unique<transports::TlsContext>(c.tls_certificate, c.tls_private_key,
                                                     std::vector<std::string>{"dot"});
    t.doh = std::make_unique<transports::TlsContext>(
        c.tls_certificate, c.tls_private_key, std::vector<std::string>{"h2", "http/1.1"});
    return t;
}

// SIGHUP: new certificate and key for new connections; open ones keep theirs. A bad file
// is logged and the old certificate stays in use. (After privileges are dropped, the files
// must be readable by that user.)
void reload_tls_on_sighup(asio::signal_set& hup, TlsContexts& tls) {
    hup.async_wait([&hup, &tls](boost::system::error_code ec, int) {
        if (ec) return;
        try {
            if (tls.dot) tls.dot->reload();
            if (tls.doh) tls.doh->reload();
            if (tls.dot) P53_LOG(info, "SIGHUP: certificate and key reloaded");
        } catch (const std::exception& e) {
            P53_LOG(error, "SIGHUP: keeping the old certificate: " << e.what());
        }
        reload_tls_on_sighup(hup, tls);
    });
}

// One listener per address for `kind`, on the worker `io`.
void add_encrypted(std::vector<std::unique_ptr<transports::EncryptedListener>>& out,
                   asio::io_context& io, const std::vector<std::string>& addrs,
                   transports::Frontend kind, resolver::Server& server,
                   const transports::TlsContext* tls, const transports::EncryptedSettings& s,
                   std::atomic<std::size_t>& connections) {
    for (const auto& a : addrs) {
        conf::ListenAddress la = conf::parse_listen_address(a);
        asio::ip::tcp::endpoint ep(asio::ip::make_address(la.ip), la.port);
        out.push_back(std::make_unique<transports::EncryptedListener>(io, ep, kind, server, tls, s,
                                                                      connections));
    }
}

std::optional<resolver::ServerAddr> source_address(const std::string& ip) {
    if (ip.empty()) return std::nullopt;
    return resolver::ServerAddr::parse(ip, 0);
}

int run(const conf::Config& cfg) {
    log::set_level(level_of(cfg.log_level));
    resolver::RootHints hints =
        cfg.root_hints.empty() ? resolver::builtin_root_hints() : resolver::load_root_hints(cfg.root_hints);
    std::size_t threads = cfg.threads > 0 ? static_cast<std::size_t>(cfg.threads)
                                          : std::max(1u, std::thread::hardware_concurrency());
    // Shards: a power of two at least the worker count, so workers rarely meet on a lock.
    std::size_t shards = std::bit_ceil(threads * 4);
    std::size_t cache_bytes = static_cast<std::size_t>(cfg.cache_size_mb) << 20;
    cache::SteadyClock clock;
    // Half the budget for whole answers (the hot path), half for RRsets the engine learns.
    cache::AnswerCache answers(cache_bytes / 2, shards);
    cache::RRsetCache rrsets(cache_bytes / 2, shards,
                             cache::TtlLimits{static_cast<uint32_t>(cfg.min_ttl),
                                              static_cast<uint32_t>(cfg.max_ttl),
                                              static_cast<uint32_t>(cfg.max_negative_ttl)});
    resolver::InfraSettings infra_settings;
    infra_settings.unknown_rtt = std::chrono::milliseconds(cfg.upstream_timeout_ms);
    resolver::Infra infra(infra_settings);
    resolver::UpstreamLimits upstream_limits;
    upstream_limits.max_outstanding = static_cast<std::size_t>(cfg.max_outstanding_upstream);
    upstream_limits.unwanted_threshold = static_cast<uint64_t>(cfg.unwanted_reply_threshold);
    upstream_limits.on_unwanted_threshold = [&] {
        answers.clear();
        rrsets.clear();
    };
    resolver::AsioNetwork network(source_address(cfg.outgoing_v4), source_address(cfg.outgoing_v6),
                                  upstream_limits);
    resolver::Engine engine(engine_settings(cfg), hints, rrsets, infra, network, clock);
    resolver::ServerSettings server_settings;
    server_settings.edns_buffer_size = static_cast<uint16_t>(cfg.edns_buffer_size);
    server_settings.acl = resolver::Acl::parse(cfg.access_control);
    server_settings.max_inflight = static_cast<std::size_t>(cfg.max_inflight);
    server_settings.prefetch = cfg.prefetch;
    server_settings.serve_stale = cfg.serve_stale;
    server_settings.max_stale = static_cast<uint32_t>(cfg.max_stale);
    server_settings.stale_ttl = static_cast<uint32_t>(cfg.stale_ttl);
    server_settings.tunnel.enabled = cfg.tunnel_detection;
    server_settings.tunnel.long_label = static_cast<std::size_t>(cfg.tunnel_long_label);
    server_settings.tunnel.entropy_bits = cfg.tunnel_entropy_bits;
    server_settings.tunnel.unique_names = static_cast<uint32_t>(cfg.tunnel_unique_names);
    server_settings.tunnel.txt_null_queries = static_cast<uint32_t>(cfg.tunnel_txt_null_queries);
    server_settings.tunnel.window_seconds = static_cast<uint32_t>(cfg.tunnel_window_seconds);
    for (const auto& d : cfg.tunnel_refuse_domains)
        server_settings.tunnel.refuse_domains.push_back(*wire::Name::from_text(d));
    server_settings.rate_limit.queries_per_second = static_cast<uint32_t>(cfg.rl_queries_per_second);
    server_settings.rate_limit.responses_per_second = static_cast<uint32_t>(cfg.rl_responses_per_second);
    server_settings.rate_limit.slip = static_cast<uint32_t>(cfg.rl_slip);
    server_settings.rate_limit.ipv4_prefix = static_cast<uint8_t>(cfg.rl_ipv4_prefix);
    server_settings.rate_limit.ipv6_prefix = static_cast<uint8_t>(cfg.rl_ipv6_prefix);
    resolver::Server server(server_settings, engine, answers, clock);

    transports::TcpSettings tcp_settings;
    tcp_settings.idle_timeout = std::chrono::milliseconds(cfg.tcp_idle_timeout_ms);
    tcp_settings.max_connections = static_cast<std::size_t>(cfg.tcp_max_connections);
    tcp_settings.max_pipelined = static_cast<std::size_t>(cfg.tcp_max_pipelined);
    transports::ClientConnections tcp_per_client(
        static_cast<std::size_t>(cfg.tcp_max_connections_per_client));
    tcp_settings.per_client = &tcp_per_client;
    std::atomic<std::size_t> tcp_connections{0};

    TlsContexts tls = load_tls(cfg);
    transports::EncryptedSettings enc_settings = encrypted_settings(cfg);
    enc_settings.per_client = &tcp_per_client;  // one share per client over TCP, DoT and DoH
    std::atomic<std::size_t> enc_connections{0};

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<std::unique_ptr<transports::EncryptedListener>> encrypted;
    std::vector<std::unique_ptr<transports::UdpListener>> udp;
    std::vector<std::unique_ptr<transports::TcpListener>> tcp;
    for (std::size_t i = 0; i < threads; ++i) {
        contexts.push_back(std::make_unique<asio::io_context>(1));
        for (const auto& l : cfg.listen) {
            conf::ListenAddress la = conf::parse_listen_address(l);
            auto ip = asio::ip::make_address(la.ip);
            udp.push_back(std::make_unique<transports::UdpListener>(
                *contexts.back(), asio::ip::udp::endpoint(ip, la.port), server));
            tcp.push_back(std::make_unique<transports::TcpListener>(
                *contexts.back(), asio::ip::tcp::endpoint(ip, la.port), server, tcp_settings,
                tcp_connections));
        }
        auto& io = *contexts.back();
        if (tls.dot) {
            add_encrypted(encrypted, io, cfg.dot_listen, transports::Frontend::dot, server,
                          tls.dot.get(), enc_settings, enc_connections);
            add_encrypted(encrypted, io, cfg.doh_listen, transports::Frontend::doh, server,
                          tls.doh.get(), enc_settings, enc_connections);
        }
        add_encrypted(encrypted, io, cfg.doh_http_listen, transports::Frontend::doh_plain, server,
                      nullptr, enc_settings, enc_connections);
    }
    // Every socket is bound: root is no longer needed.
    daemon::drop_privileges(cfg.user, cfg.group);
    for (auto& u : udp) u->start();
    for (auto& t : tcp) t->start();
    for (auto& e : encrypted) e->start();

    asio::signal_set hup(*contexts.front(), SIGHUP);
    reload_tls_on_sighup(hup, tls);

    // SIGTERM/SIGINT: take no new questions, let those being resolved finish (bounded),
    // then stop.
    asio::signal_set signals(*contexts.front(), SIGINT, SIGTERM);
    asio::steady_timer drain_timer(*contexts.front());
    auto drain_deadline = std::chrono::steady_clock::now();
    std::function<void()> drain = [&] {
        if (server.inflight() == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
            P53_LOG(info, "stopped with " << server.inflight() << " question(s) unanswered");
            for (auto& c : contexts) c->stop();
            return;
        }
        drain_timer.expires_after(std::chrono::milliseconds(20));
        drain_timer.async_wait([&](boost::system::error_code) { drain(); });
    };
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        P53_LOG(info, "signal " << sig << ": draining " << server.inflight() << " question(s)");
        server.begin_drain();
        drain_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg.drain_timeout_ms);
        drain();
    });
    P53_LOG(info, "listening on " << cfg.listen.size() << " address(es) with " << threads
                                  << " worker(s); root hints: "
                                  << (cfg.root_hints.empty() ? "built-in" : cfg.root_hints));
    if (tls.dot)
        P53_LOG(info, "DoT on " << cfg.dot_listen.size() << " address(es), DoH on "
                                << cfg.doh_listen.size() << " address(es), path " << cfg.doh_path);
    if (!cfg.doh_http_listen.empty())
        P53_LOG(info, "plain-HTTP DoH on " << cfg.doh_http_listen.size() << " address(es)");
    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < threads; ++i) workers.emplace_back([&, i] {
            resolver::Server::bind_worker_thread(contexts[i]->get_executor());
            contexts[i]->run();
        });
    resolver::Server::bind_worker_thread(contexts.front()->get_executor());
    contexts.front()->run();
    for (auto& c : contexts) c->stop();
    for (auto& w : workers) w.join();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path;
    bool check_only = false;
    static option long_opts[] = {{"config", required_argument, nullptr, 'c'},
                                 {"check", no_argument, nullptr, 'k'},
                                 {"config-reference", no_argument, nullptr, 'r'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "c:h", long_opts, nullptr)) != -1) {
        switch (opt) {
            case 'c': config_path = optarg; break;
            case 'k': check_only = true; break;
            case 'r': std::cout << port53::conf::config_reference(); return 0;
            case 'h': usage(); return 0;
            default: usage(); return 2;
        }
    }
    if (config_path.empty()) {
        usage();
        return 2;
    }
    try {
        port53::conf::Config cfg = port53::conf::load_config(config_path);
        // Files named by the configuration are checked up front, with their own file:line.
        if (!cfg.root_hints.empty()) port53::resolver::load_root_hints(cfg.root_hints);
        if (!cfg.trust_anchor.empty()) port53::dnssec::TrustAnchors::load(cfg.trust_anchor);
        load_tls(cfg);
        if (check_only) {
            std::cout << config_path << ": OK\n";
            return 0;
        }
        return run(cfg);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "port53d: %s\n", e.what());
        return 1;
    }
}
