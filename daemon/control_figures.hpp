// The port53-ctl commands that show figures beyond `stats`: `stats --json` (the metrics
// page as JSON), `infra` (the RTT table) and `list-inflight` (the questions being resolved).
#pragma once
#include <string>
#include <string_view>

#include "daemon/metrics.hpp"

namespace port53::daemon {

// Every sample of a metrics page (text exposition format, as render_metrics writes it) as
// one JSON object: each metric name maps to a list of {"labels": {...}, "value": number}.
std::string metrics_json(std::string_view page);

// "ok\n" and the table, one server a line: address, smoothed RTT and variance (ms),
// consecutive timeouts, and its state (ok, unmeasured, backed off for N s, lame for ZONE).
std::string infra_table(const MetricsSources& s);

// "ok\n" and one line per question being resolved: name, type, age in ms, clients waiting.
std::string inflight_list(const MetricsSources& s);

}  // namespace port53::daemon
