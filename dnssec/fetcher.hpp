// What the validator needs from the resolver around it: the DS and DNSKEY records that
// build the chain of trust, and where a zone's parent is. The engine implements it (its
// budget, server choice and caches stay its own); tests script it.
#pragma once
#include <cstdint>
#include <vector>

#include "base/coro.hpp"
#include "wire/message.hpp"
#include "wire/security.hpp"

namespace port53::dnssec {

// A resolved answer, as a client would get it.
struct FetchResult {
    uint16_t rcode = 0;
    std::vector<wire::Record> answer;  // CNAME chain and data, RRSIGs inline
    std::vector<wire::Record> authority;
    wire::Security security = wire::Security::unchecked;
    uint16_t ede = wire::ede::none;
};

class Fetcher {
  public:
    virtual ~Fetcher() = default;
    // The answer to `q` (the validator asks class IN), from the cache or resolved, and
    // itself validated: asking for a DS climbs the chain one zone up.
    virtual base::awaitable<FetchResult> fetch(wire::Question q) = 0;
    // The records the servers of `q.name`'s zone give for it, not validated and not from the
    // cache: the validator checks a DNSKEY RRset against the DS itself.
    virtual base::awaitable<std::vector<wire::Record>> fetch_unvalidated(wire::Question q) = 0;
    // A zone's DNSKEY RRset (with its RRSIGs) as another resolver of the fleet kept it in
    // the shared second-level cache; empty if there is none. Not trusted: the validator
    // checks it against the DS like keys fetched from the servers, and asks the servers
    // when it does not verify, so a forged copy costs a query, never the zone.
    virtual base::awaitable<std::vector<wire::Record>> shared_keys(const wire::Question& q) {
        (void)q;
        co_return std::vector<wire::Record>{};
    }
    // The closest zone cut above `zone` known so far: where the DS of `zone` lives.
    virtual wire::Name parent_zone(const wire::Name& zone) = 0;
    // An RRset the validator proved secure (a zone's keys), to answer questions for it
    // for up to `ttl` seconds.
    virtual void keep_secure(const std::vector<wire::Record>& rrset,
                             const std::vector<wire::Record>& rrsigs, uint32_t ttl) = 0;
};

}  // namespace port53::dnssec
