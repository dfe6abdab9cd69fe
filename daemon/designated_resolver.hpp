// DDR (RFC 9462) from the running configuration: the resolver's name (ddr.name, or the
// certificate's first DNS name), the DoT and DoH listen addresses and the DoH path, made into
// the answer source asked before every other (local/designated_resolver.hpp).
#pragma once
#include <optional>
#include <string>

#include "conf/config.hpp"
#include "engine/engine.hpp"
#include "local/designated_resolver.hpp"

namespace port53::daemon {

// The resolver's name as clients verify it: ddr.name, else the certificate's first DNS name
// (not a wildcard); empty if neither (or no certificate).
std::string resolver_name(const conf::Config& cfg);

// What DDR advertises, or nothing: DDR off, no certificate, or no name to advertise (the
// log says why). Logs a warning when the certificate lacks a port-53 listen address as an IP
// SAN: clients verifying the discovery (RFC 9462 §4.2) would then not upgrade.
std::optional<local::DesignatedEndpoints> designated_endpoints(const conf::Config& cfg);

// The DDR records as `engine`'s next source, with `doh_path` (a view's own DoH path, or the
// top level's) in the DoH records; returns their zones (for a reload to know which cached
// answers were DDR's). A path that cannot be written in a dohpath is logged and left out of
// DDR (null).
std::shared_ptr<const local::LocalZones> add_designated_source(engine::Engine& engine,
                                                               local::DesignatedEndpoints endpoints,
                                                               const std::string& doh_path);

}  // namespace port53::daemon
