#include "engine/delegation.hpp"

#include <algorithm>

#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

bool address_allowed(const upstream::ServerAddr& a, const EngineSettings& s) {
    if (a.is_unusable()) return false;
    if (a.is_loopback() && !s.allow_loopback_upstream) return false;
    return a.v6 ? s.use_ipv6 : s.use_ipv4;
}

void add_cached_addresses(Delegation& d, uint16_t qclass, cache::RRsetCache& cache, uint32_t now,
                          const EngineSettings& settings) {
    for (const auto& ns : d.ns_names) {
        for (uint16_t t : {type::A, type::AAAA}) {
            auto rrs = cache.get(ns, t, qclass, now);
            if (!rrs) continue;
            for (const auto& r : rrs->records) {
                auto a = upstream::ServerAddr::from_rdata(r.type, r.rdata);
                if (a && std::find(d.addrs.begin(), d.addrs.end(), *a) == d.addrs.end())
                    d.addrs.push_back(*a);
            }
        }
    }
    std::erase_if(d.addrs,
                  [&](const upstream::ServerAddr& a) { return !address_allowed(a, settings); });
}

namespace {

// The configured servers of a routed zone. Loopback is allowed: the operator named them
// (allow_loopback_upstream guards against authorities that point us at ourselves).
Delegation routed(const RouteMatch& m, const EngineSettings& settings) {
    Delegation d{m.route->zone, {}, {}};
    for (const auto& s : m.route->servers)
        if (!s.addr.is_unusable() && (s.addr.v6 ? settings.use_ipv6 : settings.use_ipv4))
            d.addrs.push_back(s.addr);
    d.from_cache = false;  // no parent to fall back to: the route is the delegation
    d.route = m.kind;
    d.route_first = m.route->first;
    d.tls = m.kind == RouteKind::forward && m.route->tls;
    return d;
}

}  // namespace

Delegation find_delegation(const Question& q, cache::RRsetCache& cache,
                           const upstream::RootHints& hints, uint32_t now,
                           const EngineSettings& settings, bool use_routes) {
    Name zone = (q.type == type::DS && !q.name.is_root()) ? q.name.parent() : q.name;
    RouteMatch route = use_routes ? closest_route(zone, settings.forward_zones, settings.stub_zones)
                                  : RouteMatch{};
    // A forward zone's servers answer everything below it; a stub zone's, down to the cuts
    // they referred us to (cached below the stub's apex).
    if (route.kind == RouteKind::forward) return routed(route, settings);
    for (;; zone = zone.parent()) {
        if (route.route && zone == route.route->zone) return routed(route, settings);
        auto ns = cache.get(zone, type::NS, q.cls, now);
        // The root's NS set is in the cache only once priming has asked the root for it.
        if (ns && (!zone.is_root() || ns->trust.security != Security::bogus)) {
            Delegation d{zone, {}, {}};
            for (const auto& r : ns->records)
                if (auto n = rdata_target(type::NS, r.rdata)) d.ns_names.push_back(*n);
            add_cached_addresses(d, q.cls, cache, now, settings);
            // A cut whose servers can be neither reached nor looked up is no use:
            // in-zone NS names without addresses need the parent's glue again.
            bool resolvable = !d.addrs.empty() ||
                              std::any_of(d.ns_names.begin(), d.ns_names.end(),
                                          [&](const Name& n) { return !n.is_subdomain_of(zone); });
            if (resolvable) return d;
        }
        if (zone.is_root()) break;
    }
    Delegation root{Name{}, {}, {}};
    for (const auto& r : hints.ns)
        if (auto n = rdata_target(type::NS, r.rdata)) root.ns_names.push_back(*n);
    for (const auto& r : hints.addrs)
        if (auto a = upstream::ServerAddr::from_rdata(r.type, r.rdata);
            a && address_allowed(*a, settings))
            root.addrs.push_back(*a);
    return root;
}

}  // namespace port53::engine
