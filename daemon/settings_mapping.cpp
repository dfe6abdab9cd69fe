#include "daemon/settings_mapping.hpp"

#include <algorithm>
#include <thread>

#include "dnssec/trust_anchors.hpp"

namespace port53::daemon {

std::size_t worker_count(const conf::Config& c) {
    return c.server.threads > 0 ? c.server.threads
                                : std::max(1u, std::thread::hardware_concurrency());
}

engine::EngineSettings engine_settings(const conf::Config& c,
                                       std::shared_ptr<const dnssec::LiveAnchor> live) {
    engine::EngineSettings e = c.resolver.engine;
    e.edns_buffer_size = c.server.front_door.edns_buffer_size;
    auto anchors = c.resolver.trust_anchor.empty()
                       ? dnssec::TrustAnchors::builtin()
                       : dnssec::TrustAnchors::load(c.resolver.trust_anchor);
    for (const auto& nta : c.resolver.negative_trust_anchors) anchors.add_negative(nta);
    if (live) anchors.manage(std::move(live));
    e.anchors = std::make_shared<const dnssec::TrustAnchors>(std::move(anchors));
    return e;
}

transports::DotDohSettings dot_doh_settings(const conf::Config& c) {
    transports::DotDohSettings e = c.tls.dot_doh;
    e.max_pipelined = c.server.tcp.max_pipelined;
    for (std::size_t i = 0; i < c.views.size(); ++i)
        for (const auto& path : c.views[i].doh_paths)
            e.view_paths.push_back({path, static_cast<uint8_t>(i + 1)});
    return e;
}

std::optional<upstream::TlsUpstreamSettings> upstream_tls(const conf::Config& c) {
    upstream::TlsUpstreamSettings out;
    auto add = [&](const std::vector<engine::ZoneRoute>& routes) {
        for (const auto& route : routes)
            if (route.tls)
                for (const auto& s : route.servers) out.auth_names[s.addr] = s.auth_name;
    };
    add(c.resolver.engine.forward_zones);
    for (const auto& v : c.views) add(v.forward_zones);
    if (out.auth_names.empty()) return std::nullopt;
    out.ca_file = c.resolver.tls_ca_file;
    return out;
}

}  // namespace port53::daemon
