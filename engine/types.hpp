// Values passed between the engine's steps.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "dnssec/trust_anchors.hpp"
#include "dnssec/validator.hpp"
#include "dnssec/verdict.hpp"
#include "engine/routes.hpp"
#include "upstream/address.hpp"
#include "wire/message.hpp"
#include "wire/security.hpp"
#include "wire/types.hpp"

namespace port53::engine {

// What one step (a cache lookup or one upstream response) tells about a name (kind,
// records, authority, next: the claim the validator judges), and what validation made of it.
struct Step : dnssec::Claim {
    wire::Security security = wire::Security::unchecked;
    uint16_t ede = wire::ede::none;
    uint32_t ttl_cap = UINT32_MAX;  // secure data lives no longer than its signatures
    bool authoritative = false;     // from a zone this resolver serves itself (AA)
};

// The final result of resolving one question, ready to render.
struct Outcome {
    uint16_t rcode = 0;
    std::vector<wire::Record> answer;
    std::vector<wire::Record> authority;
    wire::Security security = wire::Security::unchecked;
    uint16_t ede = wire::ede::none;
    bool authoritative = false;  // every link came from a zone served here (AA)
};

// A zone cut and how to reach it.
struct Delegation {
    wire::Name zone;
    std::vector<wire::Name> ns_names;
    std::vector<upstream::ServerAddr> addrs;
    std::size_t ns_tried = 0;           // NS names looked up for more addresses so far
    bool from_cache = true;             // false once a referral gave it fresh
    RouteKind route = RouteKind::none;  // configured servers (a forward or stub zone)
    bool route_first = false;           // on their failure, iterate as if unrouted
    bool tls = false;                   // its servers are asked over DoT only (a tls forward zone)
};

// Work limits for one client question, shared by the sub-resolutions it starts
// (NS names without glue), so no question can make the engine loop or fan out.
struct Budget {
    int upstream_queries_left = 100;
    int depth = 0;  // nesting of NS-name sub-resolutions
    // NS names being looked up by the sub-resolutions open now: a name met again is a
    // cycle (a.example served by ns.b.example, b.example by ns.a.example, no glue).
    std::vector<wire::Name> ns_lookups;
    std::vector<wire::Name> dead_ns;      // NS names whose lookup gave no address
    std::vector<wire::Name> fallen_back;  // zones whose parent was asked again already
    std::chrono::steady_clock::time_point deadline;
};

struct EngineSettings {
    bool qname_minimisation = true;
    bool use_0x20 = false;        // random case in upstream names, checked in replies
    bool aggressive_nsec = true;  // RFC 8198: deny from cached, validated NSEC ranges
    bool prime_root = true;       // RFC 8109: learn the root's NS set from the root itself
    bool send_cookies = true;     // RFC 7873: client cookies to authorities
    bool allow_loopback_upstream = false;
    bool use_ipv4 = true;
    bool use_ipv6 = true;
    uint16_t edns_buffer_size = wire::kEdnsBufferSize;  // advertised to authorities
    int max_upstream_queries = 100;
    int max_referrals = 30;
    int max_cname_chain = 12;
    int max_ns_depth = 6;
    int max_ns_lookups = 6;  // NS names resolved per delegation (NXNS, CVE-2020-12662)
    std::chrono::milliseconds query_timeout{10'000};
    // [[forward]] and [[stub]] tables: zones reached through configured servers.
    std::vector<ZoneRoute> forward_zones;
    std::vector<ZoneRoute> stub_zones;
    // DNSSEC: validation on/off, where chains start, and the KeyTrap-class limits.
    bool validate = true;
    std::shared_ptr<const dnssec::TrustAnchors> anchors;
    dnssec::Limits dnssec_limits;
};

}  // namespace port53::engine
