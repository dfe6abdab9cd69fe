// The names every resolver should answer itself (RFC 6761 §6, RFC 6762, RFC 7686, RFC 8375,
// RFC 9462, and the RFC 6303 reverse zones of private and special address ranges), so that
// lookups for them never leak to the root or to the operators of those ranges.
#pragma once
#include <string>
#include <vector>

#include "local/local_zones.hpp"

namespace port53::local {

// The apexes of the default zones, in presentation form ("localhost.", "10.in-addr.arpa.").
std::vector<std::string> special_use_zone_names();

// Adds the default zones to `zones`, except those named in `disabled` (Unbound's
// `local-zone: "test." nodefault`: a lab that delegates test. from its own root needs it).
// Throws std::invalid_argument naming an entry of `disabled` that is not a default zone.
void add_special_use_zones(LocalZones& zones, const std::vector<std::string>& disabled);

}  // namespace port53::local
