// Step 2 of handling a response: cache what it says (bailiwick-checked, with credibility)
// and turn it into a Step or a new Delegation.
#pragma once
#include "cache/rrset_cache.hpp"
#include "resolver/engine/classify.hpp"
#include "resolver/engine/types.hpp"

namespace port53::resolver {

// For answer / nxdomain / nodata responses. Follows CNAME and DNAME (RFC 6672) links
// inside the response and reports either the final data, a denial, or where to continue.
Step absorb_answer(const wire::Message& msg, const wire::Name& qname, uint16_t qtype,
                   uint16_t qclass, const wire::Name& zone, cache::RRsetCache& cache,
                   uint32_t now, int max_chain);

// For referrals: caches the NS RRset and in-bailiwick glue; returns the new zone cut.
Delegation absorb_referral(const wire::Message& msg, const wire::Name& qname,
                           const wire::Name& zone, cache::RRsetCache& cache, uint32_t now);

// Records of `records` grouped into RRsets by owner/type/class, in first-seen order.
std::vector<std::vector<wire::Record>> group_rrsets(const std::vector<wire::Record>& records);

}  // namespace port53::resolver
