// From the parsed configuration to each component's own settings: one place that knows
// which setting feeds which part.
#pragma once
#include "base/log.hpp"
#include "cache/rrset_cache.hpp"
#include "conf/config.hpp"
#include "engine/types.hpp"
#include "server/server.hpp"
#include "transports/encrypted_settings.hpp"
#include "transports/tcp_listener.hpp"
#include "upstream/asio_network.hpp"
#include "upstream/infra.hpp"

namespace port53::daemon {

base::LogLevel log_level(const conf::Config& c);
std::size_t worker_count(const conf::Config& c);
cache::TtlLimits ttl_limits(const conf::Config& c);
upstream::InfraSettings infra_settings(const conf::Config& c);
upstream::UpstreamLimits upstream_limits(const conf::Config& c);
// Loads the trust anchor file named by the configuration (throws "file:line: ...").
engine::EngineSettings engine_settings(const conf::Config& c);
server::ServerSettings server_settings(const conf::Config& c);
transports::TcpSettings tcp_settings(const conf::Config& c);
transports::EncryptedSettings encrypted_settings(const conf::Config& c);

}  // namespace port53::daemon
