// What port53-ctl can ask of a running port53d (the control socket carries the lines): each
// command answers "ok" and its output, or "error: why". Commands run on the worker that owns
// the control socket; the caches they touch take their own shard locks.
#pragma once
#include <string>
#include <vector>

#include "daemon/metrics.hpp"

namespace port53::daemon {

class Logs;  // daemon/logs.hpp
class TrustAnchorUpkeep;

struct ControlTargets {
    const MetricsSources& figures;
    cache::AnswerCache& answers;
    cache::RRsetCache& rrsets;
    std::size_t workers;
    std::vector<cache::RRsetCache*> view_rrsets = {};  // the views' own (daemon/views.hpp)
    Logs* logs = nullptr;                              // reopen-logs (daemon/logs.hpp)
    const TrustAnchorUpkeep* trust_anchors = nullptr;  // RFC 5011 upkeep, when configured
};

// status | stats [--json] | infra | list-inflight | flush NAME | flush-zone ZONE | flush-all |
// log-level LEVEL | reopen-logs | help
std::string control_command(const std::string& line, ControlTargets& t);
// trust-anchors (daemon/control_trust_anchors.cpp)
std::string trust_anchors_report(const ControlTargets& t);

}  // namespace port53::daemon
