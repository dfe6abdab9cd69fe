// port53d: wires configuration, caches, engine and transports together and runs the workers.
#include <getopt.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "cache/answer_cache.hpp"
#include "cache/rrset_cache.hpp"
#include "conf/config.hpp"
#include "daemon/console_auth.hpp"
#include "daemon/console_listener.hpp"
#include "daemon/control_cache.hpp"
#include "daemon/control_commands.hpp"
#include "daemon/control_line.hpp"
#include "daemon/control_socket.hpp"
#include "daemon/control_tls.hpp"
#include "daemon/logs.hpp"
#include "daemon/metrics.hpp"
#include "daemon/privileges.hpp"
#include "daemon/reload.hpp"
#include "daemon/settings_mapping.hpp"
#include "daemon/tls_setup.hpp"
#include "daemon/trust_anchor_upkeep.hpp"
#include "daemon/views.hpp"
#include "daemon/workers.hpp"
#include "dnssec/trust_anchors.hpp"
#include "engine/engine.hpp"
#include "secondary/secondaries.hpp"
#include "server/server.hpp"
#include "upstream/asio_network.hpp"
#include "upstream/infra.hpp"
#include "upstream/redis_client.hpp"
#include "upstream/root_hints.hpp"

namespace {

using namespace port53;
namespace asio = boost::asio;

void usage() {
    std::fprintf(stderr,
                 "usage: port53d -c FILE      run with the configuration in FILE\n"
                 "       port53d --check -c FILE   check FILE and exit\n"
                 "       port53d --config-reference   print the settings table (Markdown)\n"
                 "       port53d --config-manpage     the same as port53d.toml(5) (roff)\n"
                 "       port53d --hash-password      console.password_hash of the password "
                 "on standard input\n");
}

// The password on standard input (a terminal does not echo it), hashed for
// console.password_hash.
int print_password_hash() {
    termios saved{};
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        std::fprintf(stderr, "console password: ");
    }
    std::string password;
    std::getline(std::cin, password);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::fprintf(stderr, "\n");
    }
    if (password.size() < 8) {
        std::fprintf(stderr, "port53d: a console password has at least 8 characters\n");
        return 1;
    }
    std::cout << port53::daemon::hash_password(password) << "\n";
    return 0;
}

std::optional<upstream::ServerAddr> source_address(const std::string& ip) {
    if (ip.empty()) return std::nullopt;
    return upstream::ServerAddr::parse(ip, 0);
}

// SIGTERM/SIGINT: take no new questions, let those being resolved finish (for at most
// `timeout`), then stop the workers.
class Drain {
  public:
    Drain(asio::io_context& io, server::Server& server, daemon::Workers& workers,
          std::chrono::milliseconds timeout)
        : signals_(io, SIGINT, SIGTERM),
          timer_(io),
          server_(server),
          workers_(workers),
          timeout_(timeout) {
        signals_.async_wait([this](boost::system::error_code ec, int sig) {
            if (ec) return;
            P53_LOG(info,
                    "signal " << sig << ": draining " << server_.inflight() << " question(s)");
            server_.begin_drain();
            deadline_ = std::chrono::steady_clock::now() + timeout_;
            // A worker may have read questions it has not yet counted as in flight (its
            // listener's turn is still running): once each worker has run this, all it
            // took in is counted, and an empty table means nothing is left to answer.
            for (std::size_t i = 0; i < workers_.size(); ++i)
                asio::post(workers_.worker(i), [this] { settled_.fetch_add(1); });
            poll();
        });
    }

  private:
    bool settled() const { return settled_.load() == workers_.size(); }
    void poll() {
        bool done = settled() && server_.inflight() == 0;
        if (done || std::chrono::steady_clock::now() >= deadline_) {
            P53_LOG(info, "stopped with " << server_.inflight() << " question(s) unanswered");
            workers_.stop();
            return;
        }
        timer_.expires_after(std::chrono::milliseconds(20));
        timer_.async_wait([this](boost::system::error_code) { poll(); });
    }
    asio::signal_set signals_;
    asio::steady_timer timer_;
    server::Server& server_;
    daemon::Workers& workers_;
    std::chrono::milliseconds timeout_;
    std::chrono::steady_clock::time_point deadline_;
    std::atomic<std::size_t> settled_{0};  // workers past the turn the signal came in
};

// SIGUSR1 reopens the logs (logrotate); SIGHUP is the reloader's (daemon/reload.hpp). On a
// worker's io_context: declared after the workers, so it goes first.
struct Reopen {
    Reopen(asio::io_context& io, daemon::Logs& logs) : usr1(io, SIGUSR1) { logs.reopen_on(usr1); }
    asio::signal_set usr1;
};

void connect_secondaries(secondary::Secondaries& secondaries, server::Server& server,
                         cache::AnswerCache& answers) {
    // A transfer changed a zone: answers cached from its old copy must go.
    secondaries.on_change([&answers] { answers.clear(); });
    server.set_notify_handler(
        [&secondaries](std::span<const uint8_t> q, const sockaddr* c, std::span<uint8_t> out) {
            return secondaries.notify(q, c, out);
        });
}

// The operator's ways in (/metrics, the control socket) and the figures they read. Its
// members refer to each other: it stays where it was made.
struct Operations {
    Operations(daemon::MetricsSources f, cache::AnswerCache& answers, cache::RRsetCache& rrsets,
               std::size_t threads, std::vector<cache::RRsetCache*> view_rrsets)
        : figures(std::move(f)),
          targets{figures, answers, rrsets, threads, std::move(view_rrsets)} {}
    Operations(const Operations&) = delete;
    Operations& operator=(const Operations&) = delete;
    daemon::MetricsSources figures;
    daemon::ControlTargets targets;
    std::vector<std::unique_ptr<daemon::MetricsListener>> metrics;
    std::unique_ptr<daemon::ControlSocket> control;
    std::unique_ptr<daemon::ControlTls> control_tls;
    std::unique_ptr<daemon::ConsoleListener> console;  // last: its commands use the rest
};

std::unique_ptr<Operations> open_operations(const conf::Config& cfg, asio::io_context& io,
                                            std::unique_ptr<Operations> ops,
                                            const server::Activity* activity) {
    ops->metrics = daemon::open_metrics(cfg.metrics, io, ops->figures);
    ops->control_tls = daemon::open_control_tls(cfg.control, io, ops->targets);
    ops->console = daemon::open_console(cfg, io, ops->targets, activity);
    // Before the listeners start: the first clients already find the cache as it was.
    daemon::load_cache_file(cfg.cache.file, ops->targets);
    if (cfg.control.socket.empty()) return ops;
    ops->control = std::make_unique<daemon::ControlSocket>(
        io, cfg.control,
        [t = &ops->targets](const std::string& line) { return daemon::control_command(line, *t); });
    ops->control->start();
    P53_LOG(info, "control socket " << cfg.control.socket);
    return ops;
}

// RFC 5011 upkeep, when configured: an engine of its own (the lasting parts, no answer
// sources), since a reload replaces the generations' engines and the upkeep's refreshes would
// be left with a freed one. Declared before the workers: its coroutines run on them.
std::unique_ptr<engine::Engine> upkeep_engine(const daemon::TrustAnchorUpkeep* upkeep,
                                              const conf::Config& cfg, const daemon::Lasting& l) {
    if (!upkeep) return nullptr;
    auto e = std::make_unique<engine::Engine>(daemon::engine_settings(cfg, l.live), l.hints,
                                              l.rrsets, l.infra, l.network, l.clock);
    if (!cfg.secondaries.empty()) e->set_zone_copies(&l.secondaries);  // RFC 8806
    return e;
}

// Refreshes on the first worker, reported by port53-ctl.
void start_upkeep(daemon::TrustAnchorUpkeep* upkeep, engine::Engine* engine,
                  daemon::Workers& workers, Operations& ops) {
    if (!upkeep) return;
    upkeep->start(*engine, workers.front().get_executor());
    ops.targets.trust_anchors = upkeep;
}

// SIGHUP and port53-ctl reload (daemon/reload.hpp); what the operator's endpoints show follows
// each new generation.
std::unique_ptr<daemon::Reloader> start_reloader(daemon::Reloader::Parts parts,
                                                 std::shared_ptr<daemon::Generation> first,
                                                 Operations& ops, asio::signal_set& hup) {
    auto on_swap = [&ops](const daemon::Generation& g) {
        ops.figures.blocklist = g.blocklist();
        ops.figures.list_updates = g.list_updates();
        ops.targets.view_rrsets = g.view_caches();
    };
    auto reloader = std::make_unique<daemon::Reloader>(std::move(parts), std::move(first), on_swap);
    reloader->on_sighup(hup);
    // Both ways in (the Unix socket and TLS) await it (daemon/control_line.hpp).
    daemon::deferred_commands().emplace_back("reload", [r = reloader.get()](const std::string&) {
        return r->reload("port53-ctl reload");
    });
    return reloader;
}

// Each worker's Redis connection (redis.enabled), opened on its thread as it starts running.
void open_redis(const std::shared_ptr<upstream::RedisClient>& redis, daemon::Workers& workers) {
    if (!redis) return;
    for (std::size_t i = 0; i < workers.size(); ++i)
        asio::post(workers.worker(i),
                   [redis, ex = workers.worker(i).get_executor()] { redis->open_here(ex); });
}

void log_listening(const conf::Config& cfg, std::size_t threads, const daemon::TlsContexts& tls) {
    const std::string& hints_file = cfg.resolver.root_hints;
    P53_LOG(info, "listening on " << cfg.server.listen.size() << " address(es) with " << threads
                                  << " worker(s); root hints: "
                                  << (hints_file.empty() ? "built-in" : hints_file));
    if (tls.dot)
        P53_LOG(info, "DoT on " << cfg.tls.dot_listen.size() << " address(es), DoH on "
                                << cfg.tls.doh_listen.size() << " address(es), path "
                                << cfg.tls.dot_doh.doh_path);
    if (!cfg.tls.doh_http_listen.empty())
        P53_LOG(info, "plain-HTTP DoH on " << cfg.tls.doh_http_listen.size() << " address(es)");
    if (!cfg.metrics.listen.empty())
        P53_LOG(info, "metrics on " << cfg.metrics.listen.size() << " address(es), GET /metrics");
}

int run(const std::shared_ptr<const conf::Config>& config, const std::string& path) {
    const conf::Config& cfg = *config;
    base::set_log_level(cfg.server.log_level);
    const std::string& hints_file = cfg.resolver.root_hints;
    upstream::RootHints hints =
        hints_file.empty() ? upstream::builtin_root_hints() : upstream::load_root_hints(hints_file);
    std::size_t threads = daemon::worker_count(cfg);
    // Shards: a power of two well above the worker count, so workers rarely meet on a lock.
    std::size_t shards = std::bit_ceil(threads * 4);
    base::SteadyClock clock;
    // Half the budget for whole answers (the hot path), half for RRsets the engine learns,
    // split evenly between the default view's RRset cache and views' own (daemon/views.hpp).
    cache::AnswerCache answers((cfg.cache.size_mb << 20) / 2, shards);
    cache::RRsetCache rrsets(daemon::rrset_cache_bytes(cfg), shards, cfg.cache.ttl);
    upstream::Infra infra(cfg.resolver.infra);
    upstream::UpstreamLimits upstream = cfg.resolver.upstream;
    daemon::Reloader* reloading = nullptr;  // set once the workers are about to run
    upstream.on_unwanted_threshold = [&] {  // the caches may be poisoned: start afresh
        answers.clear();
        rrsets.clear();
        if (reloading) reloading->clear_view_caches();
    };
    upstream::AsioNetwork network(source_address(cfg.resolver.outgoing_v4),
                                  source_address(cfg.resolver.outgoing_v6), upstream);
    if (auto dot = daemon::upstream_tls(cfg)) network.configure_tls(std::move(*dot));
    auto upkeep = daemon::make_trust_anchor_upkeep(cfg, clock);  // RFC 5011; before the workers
    auto live = upkeep ? upkeep->live() : nullptr;
    daemon::Logs logs(cfg, threads, network);  // dnstap may wrap the network
    // Secondary zones: loaded from their files now, so they are answered from the start.
    secondary::Secondaries secondaries(cfg.secondaries, secondary::build_tsig_keys(cfg.tsig_keys),
                                       clock);
    secondaries.load_copies();
    // Redis (redis.enabled): each worker opens its connection (open_redis).
    auto redis = cfg.redis.enabled ? std::make_shared<upstream::RedisClient>(cfg.redis) : nullptr;
    daemon::Lasting lasting{hints,          answers, rrsets, secondaries, infra,
                            logs.network(), clock,   shards, live,        redis};
    auto first = std::make_shared<daemon::Generation>(config, lasting);
    server::Server server(cfg.server.front_door, first->engine(), answers, clock);
    server.swap_policy(first->policy(first, server.current_policy().get()));
    if (!cfg.secondaries.empty()) connect_secondaries(secondaries, server, answers);

    daemon::TlsContexts tls = daemon::load_tls(cfg);
    auto upkeeping = upkeep_engine(upkeep.get(), cfg, lasting);
    std::unique_ptr<daemon::Reloader> reloader;  // before the workers: worker 0 refers to it
    // Declared last: the workers' io_contexts (and the coroutines in them) are destroyed
    // first, while everything above, which those coroutines refer to, exists (base/coro.hpp).
    daemon::Workers workers(cfg, threads);
    workers.open_listeners(server, tls);
    auto ops = open_operations(
        cfg, workers.front(),
        std::make_unique<Operations>(
            daemon::MetricsSources{&server, &answers, &rrsets, first->blocklist(), nullptr,
                                   &secondaries, daemon::zone_names(cfg.secondaries),
                                   std::time(nullptr), &infra, &clock},
            answers, rrsets, threads, first->view_caches()),
        logs.activity());
    logs.attach(server, ops->targets);
    daemon::drop_privileges(cfg.server.user, cfg.server.group);  // sockets bound: root is done
    workers.start_listeners();
    open_redis(redis, workers);
    secondaries.start(workers.front().get_executor());
    // RFC 8109 §3: prime the root at start, not on the first client's cache miss.
    first->start(workers.front().get_executor(), answers, true);
    start_upkeep(upkeep.get(), upkeeping.get(), workers, *ops);
    ops->figures.list_updates = first->list_updates();
    asio::signal_set hup(workers.front(), SIGHUP);
    reloader = start_reloader({path, server, workers, tls, lasting}, first, *ops, hup);
    reloading = reloader.get();
    Reopen reopen(workers.front(), logs);
    Drain drain(workers.front(), server, workers, cfg.server.drain_timeout);
    log_listening(cfg, threads, tls);
    workers.run();
    reloader->stop();  // list updates and a reload under way end while the workers exist
    // Past the drain timeout clients may still wait; what their completions hold belongs
    // to the workers' io_contexts and must go first (found by AddressSanitizer).
    server.abandon_waiters();
    if (redis) redis->close();  // its descriptors are the workers' io_contexts'; they go next
    daemon::dump_cache_file(cfg.cache.file, ops->targets);  // drained: what was learnt is in
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path;
    bool check_only = false;
    static option long_opts[] = {{"config", required_argument, nullptr, 'c'},
                                 {"check", no_argument, nullptr, 'k'},
                                 {"config-reference", no_argument, nullptr, 'r'},
                                 {"config-manpage", no_argument, nullptr, 'm'},
                                 {"hash-password", no_argument, nullptr, 'p'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "c:h", long_opts, nullptr)) != -1) {
        switch (opt) {
            case 'c':
                config_path = optarg;
                break;
            case 'k':
                check_only = true;
                break;
            case 'r':
                std::cout << port53::conf::config_reference();
                return 0;
            case 'm':
                std::cout << port53::conf::config_manpage(PORT53_VERSION);
                return 0;
            case 'p':
                return print_password_hash();
            case 'h':
                usage();
                return 0;
            default:
                usage();
                return 2;
        }
    }
    if (config_path.empty()) {
        usage();
        return 2;
    }
    try {
        port53::conf::Config cfg = port53::conf::load_config(config_path);
        // Files named by the configuration are checked up front, with their own file:line.
        const auto& resolver = cfg.resolver;
        if (!resolver.root_hints.empty()) port53::upstream::load_root_hints(resolver.root_hints);
        if (!resolver.trust_anchor.empty())
            port53::dnssec::TrustAnchors::load(resolver.trust_anchor);
        port53::daemon::load_tls(cfg);
        if (!cfg.control.tls_listen.empty()) port53::daemon::control_tls_context(cfg.control);
        if (!cfg.console.listen.empty()) port53::daemon::console_tls_context(cfg);
        if (auto dot = port53::daemon::upstream_tls(cfg)) {
            [[maybe_unused]] port53::upstream::TlsUpstream ca_check(*dot);  // throws naming it
        }
        if (check_only) {
            std::cout << config_path << ": OK\n";
            return 0;
        }
        return run(std::make_shared<const port53::conf::Config>(std::move(cfg)), config_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "port53d: %s\n", e.what());
        return 1;
    }
}
