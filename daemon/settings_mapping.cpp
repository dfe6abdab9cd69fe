#include "daemon/settings_mapping.hpp"

#include <algorithm>
#include <thread>

#include "dnssec/trust_anchors.hpp"

namespace port53::daemon {

std::size_t worker_count(const conf::Config& c) {
    return c.server.threads > 0 ? c.server.threads
                                : std::max(1u, std::thread::hardware_concurrency());
}

engine::EngineSettings engine_settings(const conf::Config& c) {
    engine::EngineSettings e = c.resolver.engine;
    e.edns_buffer_size = c.server.front_door.edns_buffer_size;
    auto anchors = c.resolver.trust_anchor.empty()
                       ? dnssec::TrustAnchors::builtin()
                       : dnssec::TrustAnchors::load(c.resolver.trust_anchor);
    for (const auto& nta : c.resolver.negative_trust_anchors) anchors.add_negative(nta);
    e.anchors = std::make_shared<const dnssec::TrustAnchors>(std::move(anchors));
    return e;
}

transports::DotDohSettings dot_doh_settings(const conf::Config& c) {
    transports::DotDohSettings e = c.tls.dot_doh;
    e.max_pipelined = c.server.tcp.max_pipelined;
    return e;
}

std::optional<upstream::TlsUpstreamSettings> upstream_tls(const conf::Config& c) {
    upstream::TlsUpstreamSettings out;
    for (const auto& route : c.resolver.engine.forward_zones)
        if (route.tls)
            for (const auto& s : route.servers) out.auth_names[s.addr] = s.auth_name;
    if (out.auth_names.empty()) return std::nullopt;
    out.ca_file = c.resolver.tls_ca_file;
    return out;
}

}  // namespace port53::daemon
