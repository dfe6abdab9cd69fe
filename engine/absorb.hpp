// Step 2 of handling a response: read what it says (bailiwick-checked) into a Step or a
// new Delegation, and, once validated, cache it with its credibility and security.
#pragma once
#include "cache/rrset_cache.hpp"
#include "engine/classify.hpp"
#include "engine/types.hpp"

namespace port53::engine {

// For answer / nxdomain / nodata responses. Follows CNAME and DNAME (RFC 6672) links
// inside the response and reports the final data, a denial, or where to continue.
Step interpret_answer(const wire::Message& msg, const wire::Question& q, const wire::Name& zone,
                      const cache::TtlLimits& limits, int max_chain);

// Caches the RRsets and denial of a (validated) step that came from a response with `aa`.
// The denial is kept for `qtype` at the step's own name (`next`: the end of a CNAME chain),
// which is not the question's name, so this takes no wire::Question.
void cache_step(const Step& step, uint16_t qtype, uint16_t qclass, bool aa,
                cache::RRsetCache& cache, uint32_t now);

// For referrals: caches the NS RRset and in-bailiwick glue; returns the new zone cut.
Delegation absorb_referral(const wire::Message& msg, const wire::Name& qname,
                           const wire::Name& zone, cache::RRsetCache& cache, uint32_t now);

}  // namespace port53::engine
