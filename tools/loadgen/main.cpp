// port53-load: a DNS load generator that can out-run the server it measures (issue 13).
#include <arpa/inet.h>
#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "tools/loadgen/options.hpp"
#include "tools/loadgen/stats.hpp"
#include "tools/loadgen/stream_sender.hpp"
#include "tools/loadgen/tls_client.hpp"
#include "tools/loadgen/udp_sender.hpp"

using namespace port53::loadgen;

namespace {

double seconds_of(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

// Each thread gets every T-th socket or connection; all start together and share the feed.
Stats run_threads(const Config& cfg, const QuerySet& queries, QueryFeed& feed, uint64_t start,
                  std::vector<int>& fds, TlsClient* tls) {
    std::vector<Stats> per(cfg.threads);
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < cfg.threads; ++t) {
        unsigned share = cfg.clients / cfg.threads + (t < cfg.clients % cfg.threads ? 1 : 0);
        if (cfg.transport != Transport::udp) {
            threads.emplace_back([&, t, share] {
                per[t] = run_stream_sender(cfg, queries, feed, share, tls, start, t);
            });
            continue;
        }
        std::vector<int> mine;
        for (std::size_t i = t; i < fds.size(); i += cfg.threads) mine.push_back(fds[i]);
        threads.emplace_back([&, t, mine = std::move(mine)] {
            per[t] = run_udp_sender(cfg, queries, feed, mine, start, t);
        });
    }
    Stats total;
    for (unsigned t = 0; t < cfg.threads; ++t) {
        threads[t].join();
        total.merge(per[t]);
    }
    return total;
}

const char* transport_name(Transport t) {
    return t == Transport::udp ? "udp" : t == Transport::tcp ? "tcp" : "dot";
}

std::string address_text(const Config& cfg) {
    char buf[INET6_ADDRSTRLEN] = "";
    const auto* a = &cfg.server;
    if (a->ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    std::string error;
    if (!parse_options(argc, argv, opt, error)) {
        std::cerr << "port53-load: " << error << "\n" << usage_text();
        return 2;
    }
    if (opt.help) {
        std::cout << usage_text();
        return 0;
    }
    QuerySet queries;
    if (!load_query_file(opt.query_file, opt.query, queries, error)) {
        std::cerr << "port53-load: " << error << "\n";
        return 1;
    }
    const Config& cfg = opt.cfg;
    std::vector<int> fds;
    std::unique_ptr<TlsClient> tls;
    if (cfg.transport == Transport::udp) {
        fds = open_udp_sockets(cfg, cfg.clients, error);
    } else if (cfg.transport == Transport::dot) {
        tls = TlsClient::make(cfg.ca_file, cfg.sni, address_text(cfg), error);
    }
    if (!error.empty()) {
        std::cerr << "port53-load: " << error << "\n";
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);  // a server that closes must not end the run
    rusage ru0{};
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t start = now_ns();
    uint64_t deadline =
        cfg.seconds > 0 ? start + static_cast<uint64_t>(cfg.seconds * 1e9) : UINT64_MAX;
    QueryFeed feed(queries.size(), cfg.passes, deadline);
    Stats total = run_threads(cfg, queries, feed, start, fds, tls.get());
    uint64_t end = now_ns();
    rusage ru1{};
    getrusage(RUSAGE_SELF, &ru1);
    RunInfo info;
    info.transport = transport_name(cfg.transport);
    info.threads = cfg.threads;
    info.seconds = static_cast<double>(end - start) / 1e9;
    info.cpu_user_s = seconds_of(ru1.ru_utime) - seconds_of(ru0.ru_utime);
    info.cpu_system_s = seconds_of(ru1.ru_stime) - seconds_of(ru0.ru_stime);
    print_report(std::cout, total, info);
    return 0;
}
