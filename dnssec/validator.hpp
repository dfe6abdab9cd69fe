// The chain of trust (RFC 4033-4035): judges what a response claims with the keys of the
// zones that signed it, and establishes those keys DS → DNSKEY down from a trust anchor,
// one zone at a time. What it lacks it asks of a Fetcher; what it proved it keeps in its
// key and signature caches, so each zone is proven once per TTL.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/clock.hpp"
#include "base/coro.hpp"
#include "dnssec/fetcher.hpp"
#include "dnssec/key_cache.hpp"
#include "dnssec/signature_cache.hpp"
#include "dnssec/trust_anchors.hpp"
#include "dnssec/verdict.hpp"
#include "wire/message.hpp"

namespace port53::dnssec {

// What one response (or cache entry) claims about a name: data, a CNAME/DNAME chain that
// continues elsewhere, or a denial, with the signatures and proofs behind it.
struct Claim {
    enum class Kind { answer, cname, nxdomain, nodata, servfail } kind = Kind::servfail;
    // CNAME/DNAME chain so far, then the answer RRset; each RRset followed by its RRSIGs.
    std::vector<wire::Record> records;
    // SOA, NSEC/NSEC3 and their RRSIGs: the denial, or the proof behind a wildcard answer.
    std::vector<wire::Record> authority;
    wire::Name next;  // cname: the name still to resolve; nxdomain/nodata: the name denied
};

class Validator {
  public:
    // Without anchors nothing can be proven: every claim is insecure.
    Validator(std::shared_ptr<const TrustAnchors> anchors, const Limits& limits,
              const base::Clock& clock);

    // Judges `claim`, the answer of the servers of `zone` to `q`: signatures
    // by the zone (or zones below it on the same servers), then the denial or wildcard
    // proof. Secure leaves in `claim` only the RRSIGs that verified, and no TTL above the
    // verdict's ttl_cap. A servfail claim is left unchecked. Logs what is bogus.
    base::awaitable<Verdict> judge(Claim& claim, const wire::Question& q, const wire::Name& zone,
                                   Fetcher& fetcher);

    // RFC 4035 §3.1.4.1: a signed parent's referral to `child` carries the child's DS RRset
    // or the NSEC/NSEC3 proving there is none. The DS claim it makes, judged, when it can
    // answer the DS question later (secure, or insecure); nothing if the keys of `child`
    // are known already or the referral proves nothing.
    struct Judged {
        Claim claim;
        Verdict verdict;
    };
    base::awaitable<std::optional<Judged>> judge_referral(const wire::Message& referral,
                                                          const wire::Name& child,
                                                          const wire::Name& parent,
                                                          Fetcher& fetcher);

    // For a server that does not say which zone it speaks for (a forwarder, a resolver
    // itself): the deepest zone cut between `top` and `name` that the chain of trust shows,
    // found by asking DS one label at a time down from `top` (as Unbound's validator does
    // for forwarded answers). A proven unsigned delegation ends the walk there, so judging
    // from the result finds an unsigned answer insecure, or bogus if it should be signed.
    base::awaitable<wire::Name> deepest_cut(const wire::Name& name, wire::Name top,
                                            Fetcher& fetcher);

    // The validated keys of `zone`, or why there are none (insecure or bogus): from the key
    // cache, else DS from the parent (or an anchor), then the zone's DNSKEY RRset.
    base::awaitable<KeyEntry> key_entry(wire::Name zone, Fetcher& fetcher);

  private:
    base::awaitable<KeyEntry> fetch_keys(wire::Name zone, const std::vector<wire::Record>& ds,
                                         Fetcher& fetcher);
    base::awaitable<Verdict> ds_unobtainable(const wire::Name& zone, Verdict failed,
                                             Fetcher& fetcher);

    std::shared_ptr<const TrustAnchors> anchors_;
    Limits limits_;
    const base::Clock& clock_;
    KeyCache keys_;
    SignatureCache verified_;
};

}  // namespace port53::dnssec
