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

}  // namespace port53::daemon
