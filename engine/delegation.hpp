// Where to start asking: the closest zone cut the cache knows for a name.
#pragma once
#include "cache/rrset_cache.hpp"
#include "engine/types.hpp"
#include "upstream/root_hints.hpp"

namespace port53::engine {

// Closest enclosing cut with a cached NS RRset; the root from hints if none. A forward zone
// holding the name wins over both, a stub zone over cuts above its apex (routes.hpp);
// `use_routes` false ignores them (a route with `first` whose servers all failed).
// DS lives in the parent, so for DS the search starts one label up.
Delegation find_delegation(const wire::Question& q, cache::RRsetCache& cache,
                           const upstream::RootHints& hints, uint32_t now,
                           const EngineSettings& settings, bool use_routes = true);

// Adds cached addresses of `d`'s NS names that settings allow us to use.
void add_cached_addresses(Delegation& d, uint16_t qclass, cache::RRsetCache& cache, uint32_t now,
                          const EngineSettings& settings);

bool address_allowed(const upstream::ServerAddr& a, const EngineSettings& s);

}  // namespace port53::engine
