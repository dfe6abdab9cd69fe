// port53-ctl trust-anchors: what the RFC 5011 upkeep knows of the anchored zone's keys.
#include "daemon/control_commands.hpp"
#include "daemon/trust_anchor_upkeep.hpp"

namespace port53::daemon {

std::string trust_anchors_report(const ControlTargets& t) {
    if (!t.trust_anchors)
        return "error: trust-anchor upkeep is off (set resolver.trust_anchor_state)\n";
    return "ok\n" + t.trust_anchors->report();
}

}  // namespace port53::daemon
