// What the daemon adds to the modules' settings that conf/ reads straight from the
// configuration: values that depend on the machine or on files, and the settings two
// modules share.
#pragma once
#include "conf/config.hpp"
#include "engine/types.hpp"
#include "transports/dot_doh_settings.hpp"
#include "upstream/tls_upstream.hpp"

namespace port53::daemon {

// server.threads, or one per CPU core.
std::size_t worker_count(const conf::Config& c);
// The resolver's settings with the trust anchors loaded (throws "file:line: ...") and the
// server's EDNS buffer size.
// With `live`, the anchor of live->zone() follows it (RFC 5011 upkeep).
engine::EngineSettings engine_settings(const conf::Config& c,
                                       std::shared_ptr<const dnssec::LiveAnchor> live = nullptr);
// The DoT forward servers (tls = true) with their names, and resolver.tls_ca_file; none if
// no forward zone uses DoT.
std::optional<upstream::TlsUpstreamSettings> upstream_tls(const conf::Config& c);
// The DoT/DoH settings with server.tcp_max_pipelined.
transports::DotDohSettings dot_doh_settings(const conf::Config& c);

}  // namespace port53::daemon
