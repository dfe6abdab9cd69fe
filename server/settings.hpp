// The front door's settings. Their member initialisers are the defaults of port53d's
// configuration too (conf/ reads [server], [cache], [ratelimit] and [tunnel] into them), so an
// embedder or a test that builds a Server gets what port53d would run with: in particular an
// access list that allows loopback and private networks only, never an open resolver.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "server/acl.hpp"
#include "server/rate_limiter.hpp"
#include "server/tunnel_detector.hpp"
#include "upstream/cookies.hpp"
#include "wire/types.hpp"

namespace port53::server {

struct ServerSettings {
    uint16_t edns_buffer_size = wire::kEdnsBufferSize;  // the most we send over UDP and advertise
    // Loopback, RFC 1918, shared address space (RFC 6598), unique local and link-local.
    Acl acl = Acl::parse({"127.0.0.0/8 allow", "::1/128 allow", "10.0.0.0/8 allow",
                          "172.16.0.0/12 allow", "192.168.0.0/16 allow", "100.64.0.0/10 allow",
                          "fc00::/7 allow", "fe80::/10 allow"});
    std::size_t max_inflight = 10'000;          // client questions waiting on resolutions at once
    std::size_t max_inflight_per_client = 256;  // of those, from one address (or IPv6 /64)
    bool prefetch = true;                       // refresh popular answers before they expire
    bool serve_stale = true;                    // RFC 8767: expired answers when authorities fail
    uint32_t max_stale = 86'400;                // how long past expiry an answer may still serve
    uint32_t stale_ttl = 30;                    // TTL of a stale answer (RFC 8767 suggests 30)
    RateLimitSettings rate_limit;               // UDP only
    TunnelSettings tunnel;
    // DNS cookies to clients (RFC 7873, RFC 9018); the secret is random per start unless
    // given (a fleet behind one address shares it, so any instance verifies any cookie).
    bool answer_cookies = true;
    std::optional<upstream::CookieSecret> cookie_secret;
};

}  // namespace port53::server
