#include "daemon/control_figures.hpp"

#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

namespace port53::daemon {

namespace {

void json_string(std::ostringstream& out, std::string_view s) {
    out << '"';
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out << '\\' << c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out << buf;
        } else {
            out << c;
        }
    }
    out << '"';
}

// One sample line's labels (`k="v",...`, values escaped as metric_label does) as a JSON
// object; `at` is just past the '{'. Returns the position after the '}'.
std::size_t labels_json(std::string_view line, std::size_t at, std::ostringstream& out) {
    out << '{';
    bool first = true;
    while (at < line.size() && line[at] != '}') {
        std::size_t eq = line.find('=', at);
        if (eq == std::string_view::npos || eq + 1 >= line.size()) break;
        std::string value;
        std::size_t i = eq + 2;  // past ="
        for (; i < line.size() && line[i] != '"'; ++i) {
            if (line[i] == '\\' && i + 1 < line.size()) {
                ++i;
                value += line[i] == 'n' ? '\n' : line[i];
            } else {
                value += line[i];
            }
        }
        out << (first ? "" : ",");
        json_string(out, line.substr(at, eq - at));
        out << ':';
        json_string(out, value);
        first = false;
        at = i + 1;
        if (at < line.size() && line[at] == ',') ++at;
    }
    out << '}';
    return at + 1;
}

// The infra table's state column.
std::string state(const upstream::Infra::Entry& e, uint32_t now) {
    std::string out;
    if (e.stats.avoid_until > now)
        out = "backed-off " + std::to_string(e.stats.avoid_until - now) + "s";
    for (const auto& [zone, until] : e.lame_until)
        if (until > now)
            out += (out.empty() ? "" : ",") + std::string("lame ") + zone.to_text() + " " +
                   std::to_string(until - now) + "s";
    if (!out.empty()) return out;
    return e.stats.measured ? "ok" : "unmeasured";
}

std::string type_text(uint16_t t) {
    std::size_t slot = base::CounterBlock::qtype_slot(t);
    return slot < base::kQtypeSlots ? base::qtype_name(slot) : "TYPE" + std::to_string(t);
}

}  // namespace

std::string metrics_json(std::string_view page) {
    // Metric name → its samples as JSON, in the page's order of first appearance.
    std::vector<std::string> order;
    std::map<std::string, std::string> samples;
    std::size_t start = 0;
    while (start < page.size()) {
        std::size_t end = page.find('\n', start);
        if (end == std::string_view::npos) end = page.size();
        std::string_view line = page.substr(start, end - start);
        start = end + 1;
        if (line.empty() || line.front() == '#') continue;
        std::size_t name_end = line.find_first_of("{ ");
        std::size_t space = line.rfind(' ');
        if (name_end == std::string_view::npos || space == std::string_view::npos) continue;
        std::ostringstream one;
        one << "{\"labels\":";
        if (line[name_end] == '{')
            labels_json(line, name_end + 1, one);
        else
            one << "{}";
        one << ",\"value\":" << line.substr(space + 1) << '}';
        std::string name(line.substr(0, name_end));
        auto [it, fresh] = samples.try_emplace(name);
        if (fresh) order.push_back(name);
        it->second += (it->second.empty() ? "" : ",") + one.str();
    }
    std::ostringstream out;
    out << '{';
    for (std::size_t i = 0; i < order.size(); ++i) {
        out << (i ? ",\n" : "\n");
        json_string(out, order[i]);
        out << ":[" << samples[order[i]] << ']';
    }
    out << "\n}\n";
    return out.str();
}

std::string infra_table(const MetricsSources& s) {
    if (!s.infra || !s.clock) return "error: no infra table here\n";
    uint32_t now = s.clock->now();
    std::ostringstream out;
    out << "ok\n";
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-42s %9s %9s %8s  %s\n", "server", "srtt_ms", "rttvar_ms",
                  "timeouts", "state");
    out << buf;
    for (const auto& e : s.infra->entries()) {
        std::snprintf(buf, sizeof buf, "%-42s %9.3f %9.3f %8u  ", e.addr.to_string().c_str(),
                      e.stats.srtt_us / 1000.0, e.stats.rttvar_us / 1000.0, e.stats.failures);
        out << buf << state(e, now) << '\n';
    }
    return out.str();
}

std::string inflight_list(const MetricsSources& s) {
    if (!s.server) return "error: no resolver here\n";
    std::ostringstream out;
    out << "ok\n";
    for (const auto& q : s.server->inflight_list())
        out << q.name << ' ' << type_text(q.type) << ' ' << q.age.count() << "ms " << q.waiters
            << (q.waiters == 1 ? " client" : " clients") << '\n';
    return out.str();
}

}  // namespace port53::daemon
