// Values passed between the engine's steps.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "resolver/address.hpp"
#include "resolver/wire/message.hpp"

namespace port53::resolver {

// What one step (a cache lookup or one upstream response) tells about a name.
struct Step {
    enum class Kind { answer, cname, nxdomain, nodata, servfail } kind = Kind::servfail;
    std::vector<wire::Record> records;  // CNAME/DNAME chain so far, then the answer RRset
    std::optional<wire::Record> soa;    // for nxdomain/nodata
    wire::Name next;                    // for cname: the name still to resolve
};

// The final result of resolving one question, ready to render.
struct Outcome {
    uint16_t rcode = 0;
    std::vector<wire::Record> answer;
    std::vector<wire::Record> authority;
};

// A zone cut and how to reach it.
struct Delegation {
    wire::Name zone;
    std::vector<wire::Name> ns_names;
    std::vector<ServerAddr> addrs;
};

// Work limits for one client question, shared by the sub-resolutions it starts
// (NS names without glue), so no question can make the engine loop or fan out.
struct Budget {
    int upstream_queries_left = 100;
    int depth = 0;  // nesting of NS-name sub-resolutions
    std::chrono::steady_clock::time_point deadline;
};

struct EngineSettings {
    bool qname_minimisation = true;
    bool allow_loopback_upstream = false;
    bool use_ipv4 = true;
    bool use_ipv6 = true;
    uint16_t edns_buffer_size = 1232;
    int max_upstream_queries = 100;
    int max_referrals = 30;
    int max_cname_chain = 12;
    int max_ns_depth = 6;
    int max_ns_lookups = 6;  // NS names resolved per delegation (NXNS, CVE-2020-12662)
    std::chrono::milliseconds query_timeout{10'000};
};

}  // namespace port53::resolver
