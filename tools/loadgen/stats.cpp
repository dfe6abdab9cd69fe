#include "tools/loadgen/stats.hpp"

#include <cstdio>
#include <string>

namespace port53::loadgen {

void Stats::merge(const Stats& o) {
    sent += o.sent;
    completed += o.completed;
    lost += o.lost;
    mismatched += o.mismatched;
    stray += o.stray;
    truncated += o.truncated;
    send_errors += o.send_errors;
    request_bytes += o.request_bytes;
    response_bytes += o.response_bytes;
    connections += o.connections;
    tls_resumed += o.tls_resumed;
    connection_errors += o.connection_errors;
    for (std::size_t i = 0; i < rcodes.size(); ++i) rcodes[i] += o.rcodes[i];
    latency.merge(o.latency);
}

namespace {

const char* rcode_name(std::size_t rc) {
    static const char* const names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};
    return names[rc];
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string pct(uint64_t n, uint64_t of) {
    return fmt("%.2f%%", of ? 100.0 * static_cast<double>(n) / static_cast<double>(of) : 0.0);
}

double sec(uint64_t ns) {
    return static_cast<double>(ns) / 1e9;
}

void print_latency(std::ostream& os, const Histogram& h) {
    os << "  Average Latency (s):  " << fmt("%.6f", h.mean() / 1e9) << " (min "
       << fmt("%.6f", sec(h.min())) << ", max " << fmt("%.6f", sec(h.max())) << ")\n";
    os << "  Latency StdDev (s):   " << fmt("%.6f", h.stddev() / 1e9) << "\n";
    os << "  Latency percentiles (s): p50 " << fmt("%.6f", sec(h.percentile(50))) << ", p90 "
       << fmt("%.6f", sec(h.percentile(90))) << ", p99 " << fmt("%.6f", sec(h.percentile(99)))
       << ", p99.9 " << fmt("%.6f", sec(h.percentile(99.9))) << "\n";
}

}  // namespace

void print_report(std::ostream& os, const Stats& s, const RunInfo& info) {
    os << "Statistics:\n\n";
    os << "  Transport:            " << info.transport << ", " << info.threads << " thread(s)\n";
    os << "  Queries sent:         " << s.sent << "\n";
    os << "  Queries completed:    " << s.completed << " (" << pct(s.completed, s.sent) << ")\n";
    os << "  Queries lost:         " << s.lost << " (" << pct(s.lost, s.sent) << ")\n";
    os << "  Mismatched/stray:     " << s.mismatched << " / " << s.stray
       << " (responses ignored)\n";
    if (s.send_errors) os << "  Send errors:          " << s.send_errors << "\n";
    os << "\n  Response codes:       ";
    bool first = true;
    for (std::size_t rc = 0; rc < s.rcodes.size(); ++rc) {
        if (!s.rcodes[rc]) continue;
        os << (first ? "" : ", ") << rcode_name(rc) << " " << s.rcodes[rc] << " ("
           << pct(s.rcodes[rc], s.completed) << ")";
        first = false;
    }
    os << "\n  Truncated (TC):       " << s.truncated << "\n";
    os << "  Average packet size:  request " << (s.sent ? s.request_bytes / s.sent : 0)
       << ", response " << (s.completed ? s.response_bytes / s.completed : 0) << "\n";
    os << "  Run time (s):         " << fmt("%.6f", info.seconds) << "\n";
    os << "  Queries per second:   "
       << fmt("%.6f", info.seconds > 0 ? static_cast<double>(s.completed) / info.seconds : 0)
       << "\n\n";
    print_latency(os, s.latency);
    if (s.connections) {
        os << "\n  Connections:          " << s.connections << " (TLS resumed " << s.tls_resumed
           << ", errors " << s.connection_errors << ")\n";
    }
    double cpu = info.cpu_user_s + info.cpu_system_s;
    os << "\n  Generator CPU (s):    user " << fmt("%.3f", info.cpu_user_s) << ", system "
       << fmt("%.3f", info.cpu_system_s) << " ("
       << fmt("%.1f", info.seconds > 0 ? 100.0 * cpu / info.seconds : 0) << "% of one core)\n";
}

}  // namespace port53::loadgen
