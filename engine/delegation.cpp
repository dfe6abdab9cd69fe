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

Delegation find_delegation(const Question& q, cache::RRsetCache& cache,
                           const upstream::RootHints& hints, uint32_t now,
                           const EngineSettings& settings) {
    Name zone = (q.type == type::DS && !q.name.is_root()) ? q.name.parent() : q.name;
    for (;; zone = zone.parent()) {
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
