#include "daemon/control_commands.hpp"

#include <ctime>
#include <sstream>
#include <vector>

#include "base/log.hpp"
#include "daemon/control_cache.hpp"
#include "daemon/control_figures.hpp"
#include "daemon/logs.hpp"

namespace port53::daemon {

namespace {

constexpr const char* kHelp =
    "status              version, uptime, workers, questions in flight\n"
    "stats [--json]      every figure of /metrics, one per line (or as JSON)\n"
    "infra               the RTT table: server, smoothed RTT, variance, timeouts, state\n"
    "list-inflight       the questions being resolved now: name, type, age\n"
    "flush NAME          forget what the caches hold for NAME\n"
    "flush-zone ZONE     forget ZONE and every name below it\n"
    "flush-all           empty the caches\n"
    "flush-bogus         forget what failed DNSSEC validation\n"
    "dump-cache FILE     write the caches to FILE (an absolute path)\n"
    "load-cache FILE     read a dump into the caches\n"
    "lookup NAME         what the caches hold for NAME, which servers would be asked\n"
    "log-level LEVEL     debug, info, warning or error, until restart\n"
    "reopen-logs         reopen the query log (after logrotate moved it)\n"
    "trust-anchors       RFC 5011: each root key's tag, algorithm, state, next change\n"
    "reload              read the configuration file again (daemon/reload.hpp)\n";

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string status(const ControlTargets& t) {
    std::ostringstream out;
    out << "ok\nversion " << PORT53_VERSION << "\nuptime "
        << std::time(nullptr) - t.figures.start_time << " s\nworkers " << t.workers;
    if (t.figures.server) out << "\ninflight " << t.figures.server->inflight();
    out << "\nlog-level " << base::log_level_text(base::current_log_level()) << '\n';
    return out.str();
}

// The /metrics page without its HELP and TYPE lines.
std::string stats(const ControlTargets& t) {
    std::istringstream page(render_metrics(t.figures));
    std::string out = "ok\n";
    for (std::string line; std::getline(page, line);)
        if (!line.starts_with('#')) out += line + '\n';
    return out;
}

// `below`: the name and every name under it.
std::string flush(const std::string& text, bool below, ControlTargets& t) {
    auto name = wire::Name::from_text(text);
    if (!name) return "error: not a domain name: " + text + "\n";
    auto doomed = [&](std::string_view wire) {
        auto n = wire::Name::from_wire(wire);
        return n && (below ? n->is_subdomain_of(*name) : *n == *name);
    };
    std::size_t n = t.answers.forget_names(doomed) + t.rrsets.forget_names(doomed);
    for (auto* c : t.view_rrsets) n += c->forget_names(doomed);
    P53_LOG(info, "control: flushed " << name->to_text() << (below ? " and below" : "") << ", " << n
                                      << " cache entries");
    return "ok\n" + std::to_string(n) + " cache entries forgotten\n";
}

}  // namespace

std::string control_command(const std::string& line, ControlTargets& t) {
    std::vector<std::string> w = words(line);
    if (w.empty() || w[0] == "help") return std::string("ok\n") + kHelp;
    const std::string& cmd = w[0];
    if (cmd == "status" && w.size() == 1) return status(t);
    if (cmd == "stats" && w.size() == 1) return stats(t);
    if (cmd == "stats" && w.size() == 2 && w[1] == "--json")
        return "ok\n" + metrics_json(render_metrics(t.figures));
    if (cmd == "infra" && w.size() == 1) return infra_table(t.figures);
    if (cmd == "list-inflight" && w.size() == 1) return inflight_list(t.figures);
    if (cmd == "trust-anchors" && w.size() == 1) return trust_anchors_report(t);
    if (cmd == "flush" && w.size() == 2) return flush(w[1], false, t);
    if (cmd == "flush-zone" && w.size() == 2) return flush(w[1], true, t);
    if (cmd == "flush-all" && w.size() == 1) {
        t.answers.clear();
        t.rrsets.clear();
        for (auto* c : t.view_rrsets) c->clear();
        P53_LOG(info, "control: caches emptied");
        return "ok\n";
    }
    if (cmd == "reopen-logs" && w.size() == 1) return control_reopen_logs(t.logs);
    if (cmd == "flush-bogus" && w.size() == 1) return flush_bogus_command(t);
    if (cmd == "dump-cache" && w.size() == 2) return dump_cache_command(w[1], t);
    if (cmd == "load-cache" && w.size() == 2) return load_cache_command(w[1], t);
    if (cmd == "lookup" && w.size() == 2) return lookup_command(w[1], t);
    if (cmd == "log-level" && w.size() == 2) {
        auto level = base::log_level_from_text(w[1]);
        if (!level) return "error: log levels are debug, info, warning and error\n";
        base::set_log_level(*level);
        return "ok\n";
    }
    return "error: not a command (or not its arguments): " + line + "\nusage:\n" + kHelp;
}

}  // namespace port53::daemon
