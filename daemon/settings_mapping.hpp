// From the parsed configuration to each component's own settings: one place that knows
// which setting feeds which part.
#pragma once
#include "cache/rrset_cache.hpp"
#include "conf/config.hpp"
#include "resolver/asio_network.hpp"
#include "resolver/engine/types.hpp"
#include "resolver/infra.hpp"
#include "resolver/log.hpp"
#include "resolver/server.hpp"
#include "transports/encrypted_settings.hpp"
#include "transports/tcp_listener.hpp"

namespace port53::daemon {

log::Level log_level(const conf::Config& c);
std::size_t worker_count(const conf::Config& c);
cache::TtlLimits ttl_limits(const conf::Config& c);
resolver::InfraSettings infra_settings(const conf::Config& c);
resolver::UpstreamLimits upstream_limits(const conf::Config& c);
// Loads the trust anchor file named by the configuration (throws "file:line: ...").
resolver::EngineSettings engine_settings(const conf::Config& c);
resolver::ServerSettings server_settings(const conf::Config& c);
transports::TcpSettings tcp_settings(const conf::Config& c);
transports::EncryptedSettings encrypted_settings(const conf::Config& c);

}  // namespace port53::daemon
