// Zones reached through configured servers instead of from the root down (issue 11):
// forward zones, whose servers are resolvers (asked with RD=1, never minimised), and stub
// zones, whose servers are the zone's own authorities (iterated from there, as Unbound's
// stub-zone). The delegation step (delegation.cpp) consults them; answers through both are
// validated against the chain of trust like any other.
#pragma once
#include <string>
#include <vector>

#include "upstream/address.hpp"
#include "wire/name.hpp"

namespace port53::engine {

struct RouteServer {
    upstream::ServerAddr addr;
    // DoT: the name its certificate must hold (RFC 8310's authentication domain name,
    // written "IP@853#NAME" as Unbound does); empty for plain DNS.
    std::string auth_name;
    bool operator==(const RouteServer&) const = default;
};

struct ZoneRoute {
    wire::Name zone;
    std::vector<RouteServer> servers;
    // When every server fails, resolve as if the zone had no route (Unbound's forward-first).
    // Off: fail closed, never a silent fallback.
    bool first = false;
    // The zone is unsigned under a signed parent (an internal zone): a negative trust anchor
    // (RFC 7646) for it, instead of turning validation off.
    bool insecure = false;
    // Ask the servers over DNS over TLS only (RFC 7858), each authenticated by its name:
    // never over UDP or plain TCP, whatever fails (fail closed, unlike unbound#676).
    bool tls = false;
    bool operator==(const ZoneRoute&) const = default;
};

enum class RouteKind { none, stub, forward };

struct RouteMatch {
    const ZoneRoute* route = nullptr;
    RouteKind kind = RouteKind::none;
};

// The route of the deepest configured zone holding `name` (forward or stub).
RouteMatch closest_route(const wire::Name& name, const std::vector<ZoneRoute>& forward,
                         const std::vector<ZoneRoute>& stub);

}  // namespace port53::engine
