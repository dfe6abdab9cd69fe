// Judging a claim from a zone (signatures, then the denial or wildcard proof), and the
// chain of trust DS → DNSKEY down from an anchor that gives the keys to judge it with.
#include "dnssec/validator.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "dnssec/denial.hpp"
#include "dnssec/verify.hpp"
#include "wire/types.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {

constexpr uint32_t kFailureTtl = 60;  // how long an insecure/bogus verdict on a zone is kept
// Zones below the answering zone whose keys one response may make us fetch (a CNAME chain
// through child zones on the same servers): bounded, since the signer names are the
// server's to choose.
constexpr std::size_t kMaxSigners = 4;

// A CNAME we made ourselves from a DNAME carries no signature of its own (RFC 6672 §5.3.1).
bool synthesised(const Record& cname, const std::vector<Record>& records) {
    return std::any_of(records.begin(), records.end(), [&](const Record& r) {
        return r.type == type::DNAME && cname.owner.is_subdomain_of(r.owner) &&
               !(cname.owner == r.owner);
    });
}

Verdict from_proof(Proof p, uint32_t cap, const std::string& what) {
    switch (p) {
        case Proof::proven:
            return Verdict::secure(cap);
        case Proof::opt_out:
            return Verdict::insecure("NSEC3 opt-out covers " + what);
        case Proof::too_expensive: {
            Verdict v = Verdict::insecure("NSEC3 iterations over the limit for " + what);
            v.ede = ede::unsupported_nsec3_iterations;
            return v;
        }
        case Proof::failed:
            break;
    }
    return Verdict::bogus(ede::nsec_missing, "no valid denial of existence for " + what);
}

// The validated keys of each zone that signs part of a claim: the zone whose servers
// answered first, then zones below it (RFC 4035 §5.3.1: the signer must be an ancestor
// of the owner, and here also inside the answering zone).
struct ZoneKeys {
    Name zone;
    std::vector<Record> keys;
};
using Signers = std::vector<ZoneKeys>;

// The deepest known signing zone that is `name` or an ancestor of it.
const ZoneKeys& zone_for(const Name& name, const Signers& signers) {
    const ZoneKeys* best = &signers.front();
    for (const auto& s : signers)
        if (name.is_subdomain_of(s.zone) && s.zone.label_count() > best->zone.label_count())
            best = &s;
    return *best;
}

// The zone an RRset's signatures name, if we hold its keys; else the answering zone's.
const ZoneKeys& signer_of(const std::vector<Record>& sigs, const Signers& signers) {
    for (const auto& sig : sigs)
        if (auto info = parse_rrsig(sig.rdata))
            for (const auto& s : signers)
                if (s.zone == info->signer) return s;
    return signers.front();
}

struct Expansion {
    Name owner;
    uint8_t labels;
    Name zone;
};

// Verifies every RRset of `records` (signatures inline) with its signer's keys. Keeps the
// RRSIG that verified each RRset (junk ones beside it must not steer the caches later),
// and the owners of wildcard expansions, which need a proof that the name does not exist.
std::optional<Verdict> verify_all(const std::vector<Record>& records, const Signers& signers,
                                  uint32_t now, const Limits& limits, Work& work,
                                  SignatureCache& seen, uint32_t& cap,
                                  std::vector<Record>& verified,
                                  std::vector<Expansion>& expansions) {
    std::vector<Record> data;
    for (const auto& r : records)
        if (r.type != type::RRSIG) data.push_back(r);
    for (const auto& set : group_rrsets(data)) {
        const Record& f = set.front();
        if (f.type == type::CNAME && synthesised(f, records)) continue;
        auto sigs = signatures_for(records, f.owner, f.type);
        const ZoneKeys& signer = signer_of(sigs, signers);
        const Record* used = nullptr;
        Verdict v =
            verify_rrset(set, sigs, signer.keys, signer.zone, now, limits, work, &seen, &used);
        if (!v.is_secure()) return v;
        cap = std::min(cap, v.ttl_cap);
        verified.push_back(*used);
        if (auto info = parse_rrsig(used->rdata); info && info->labels < signed_labels(f.owner))
            expansions.push_back({f.owner, info->labels, signer.zone});
    }
    return std::nullopt;
}

// `records` with only the RRSIGs in `verified`.
void keep_verified(std::vector<Record>& records, const std::vector<Record>& verified) {
    std::erase_if(records, [&](const Record& r) {
        return r.type == type::RRSIG &&
               std::find(verified.begin(), verified.end(), r) == verified.end();
    });
}

Verdict check_claim(Claim& claim, const Question& q, const Signers& signers, uint32_t now,
                    const Limits& limits, SignatureCache& seen) {
    Work work(limits);
    uint32_t cap = UINT32_MAX;
    std::vector<Expansion> expansions, ignored;
    std::vector<Record> verified;
    if (auto bad =
            verify_all(claim.records, signers, now, limits, work, seen, cap, verified, expansions))
        return *bad;
    if (auto bad =
            verify_all(claim.authority, signers, now, limits, work, seen, cap, verified, ignored))
        return *bad;
    if (q.type != type::RRSIG) keep_verified(claim.records, verified);  // RRSIGs are the data
    keep_verified(claim.authority, verified);
    for (const auto& e : expansions) {
        Verdict v = from_proof(
            prove_wildcard_expansion(e.owner, e.labels, claim.authority, e.zone, limits, work), cap,
            e.owner.to_text());
        if (!v.is_secure()) return v;
    }
    // The denial comes from the zone that holds the denied name (the end of a CNAME chain
    // may lie in a child zone on the same servers).
    const Name& zone = zone_for(claim.next, signers).zone;
    if (claim.kind == Claim::Kind::nxdomain)
        return from_proof(prove_nxdomain(claim.next, claim.authority, zone, limits, work), cap,
                          claim.next.to_text());
    if (claim.kind == Claim::Kind::nodata) {
        // The type denied at the end of the chain.
        Question denied{claim.next, q.type, q.cls};
        return from_proof(prove_nodata(denied, claim.authority, zone, limits, work), cap,
                          claim.next.to_text());
    }
    return Verdict::secure(cap);
}

// Signer names in `claim` strictly below `zone` that could hold the keys for part of it.
std::vector<Name> child_signers(const Claim& claim, const Name& zone) {
    std::vector<Name> out;
    for (const auto* part : {&claim.records, &claim.authority})
        for (const auto& r : *part) {
            if (r.type != type::RRSIG) continue;
            auto info = parse_rrsig(r.rdata);
            if (!info || info->signer == zone || !info->signer.is_subdomain_of(zone) ||
                !r.owner.is_subdomain_of(info->signer))
                continue;
            if (std::find(out.begin(), out.end(), info->signer) == out.end())
                out.push_back(info->signer);
        }
    return out;
}

std::vector<Record> of_type(const std::vector<Record>& rrs, const Name& owner, uint16_t t) {
    std::vector<Record> out;
    for (const auto& r : rrs)
        if (r.type == t && r.owner == owner) out.push_back(r);
    return out;
}

// What the parent's answer to "DS of `zone`?" says about the child (RFC 4035 §5.2). Only
// a validated proof that there is no DS (or a parent that is provably insecure) makes the
// child insecure; a lookup that failed or could not be validated proves nothing, so the
// child is bogus: otherwise anyone who can drop or garble the DS query strips DNSSEC.
// A validated denial of DS for `zone` that also shows a delegation there (NS, no DS, no
// SOA), or an opt-out span over it. Without NS it only says the name is no zone cut: a
// referral to it was forged (RFC 6840 §4.4).
bool delegation_proven(const Name& zone, const std::vector<Record>& authority,
                       const Limits& limits) {
    for (const auto& r : authority) {
        if (r.type != type::RRSIG) continue;
        auto info = parse_rrsig(r.rdata);
        if (!info || (info->type_covered != type::NSEC && info->type_covered != type::NSEC3))
            continue;
        Work work(limits);
        auto p = prove_insecure_delegation(zone, authority, info->signer, limits, work);
        return p == Proof::proven || p == Proof::opt_out;
    }
    return false;
}

Verdict ds_verdict(const FetchResult& o, const Name& zone, const Limits& limits,
                   std::vector<Record>& ds) {
    std::string what = "DS of " + zone.to_text();
    bool answered = o.rcode == rcode::NOERROR || o.rcode == rcode::NXDOMAIN;
    switch (o.security) {
        case Security::bogus:
            return Verdict::bogus(o.ede == ede::none ? ede::dnssec_bogus : o.ede,
                                  what + " is bogus");
        case Security::insecure:
            if (answered) return Verdict::insecure(what + ": the parent side is insecure");
            break;
        case Security::secure:
            if (o.rcode == rcode::NOERROR) ds = of_type(o.answer, zone, type::DS);
            if (!ds.empty()) return Verdict::secure();
            if (o.rcode == rcode::NOERROR && delegation_proven(zone, o.authority, limits))
                return Verdict::insecure("proven unsigned delegation: " + zone.to_text());
            // NXDOMAIN, a CNAME, or no DS without a delegation: no zone cut is there.
            return Verdict::bogus(ede::dnssec_bogus,
                                  "no " + what + " and no proof of an unsigned delegation");
        case Security::unchecked:
            break;
    }
    // Indeterminate: the caller decides from what is known of the parent.
    return Verdict{Security::unchecked, ede::dnssec_bogus,
                   what + " could not be obtained or validated"};
}

// Secure data is not handed out for longer than its signatures (and their original TTL)
// vouch for it.
void cap_ttls(Claim& claim, uint32_t cap) {
    for (auto* part : {&claim.records, &claim.authority})
        for (auto& r : *part) r.ttl = std::min(r.ttl, cap);
}

// The DS claim a referral to `child` makes: the DS RRset, or the parent's NSEC/NSEC3 (with
// their RRSIGs) as a NODATA; nothing if it has neither.
std::optional<Claim> referral_ds(const Message& msg, const Name& child, const Name& parent) {
    Claim c;
    c.next = child;
    c.kind = Claim::Kind::answer;
    for (const auto& r : msg.authority)
        if (r.type == type::DS && r.owner == child) c.records.push_back(r);
    if (!c.records.empty()) {
        auto sigs = signatures_for(msg.authority, child, type::DS);
        c.records.insert(c.records.end(), sigs.begin(), sigs.end());
        return c;
    }
    c.kind = Claim::Kind::nodata;
    for (const auto& r : msg.authority)
        if ((r.type == type::NSEC || r.type == type::NSEC3) && r.owner.is_subdomain_of(parent))
            c.authority.push_back(r);
    if (c.authority.empty()) return std::nullopt;
    std::vector<Record> sigs;
    for (const auto& r : c.authority) {
        auto more = signatures_for(msg.authority, r.owner, r.type);
        sigs.insert(sigs.end(), more.begin(), more.end());
    }
    c.authority.insert(c.authority.end(), sigs.begin(), sigs.end());
    return c;
}

}  // namespace

Validator::Validator(std::shared_ptr<const TrustAnchors> anchors, const Limits& limits,
                     const base::Clock& clock)
    : anchors_(anchors ? std::move(anchors) : std::make_shared<const TrustAnchors>()),
      limits_(limits),
      clock_(clock) {}

base::awaitable<Verdict> Validator::judge(Claim& claim, const Question& q, const Name& zone,
                                          Fetcher& fetcher) {
    // Nothing claimed, nothing to judge.
    if (claim.kind == Claim::Kind::servfail) co_return Verdict{Security::unchecked, ede::none, ""};
    if (anchors_->under_negative_anchor(q.name) || !anchors_->closest_anchor(zone))
        co_return Verdict::insecure();
    KeyEntry top = co_await key_entry(zone, fetcher);
    Verdict v = top.verdict;
    if (v.is_secure()) {
        Signers signers{{zone, std::move(top.keys)}};
        auto below = child_signers(claim, zone);
        if (below.size() > kMaxSigners) below.resize(kMaxSigners);
        for (const Name& s : below) {
            // A zone below the answering one is trusted only through its own DS: an
            // insecure verdict reached through a signer name the server chose (an empty
            // non-terminal has no DS either) must not downgrade the answer.
            KeyEntry e = co_await key_entry(s, fetcher);
            if (!e.verdict.is_secure()) {
                v = e.verdict.security == Security::bogus
                        ? e.verdict
                        : Verdict::bogus(ede::dnssec_bogus,
                                         "signer " + s.to_text() + " has no secure keys");
                break;
            }
            signers.push_back({s, std::move(e.keys)});
        }
        if (v.is_secure())
            v = check_claim(claim, q, signers, clock_.unix_now(), limits_, verified_);
    }
    if (v.is_secure()) cap_ttls(claim, v.ttl_cap);
    if (v.security == Security::bogus)
        P53_LOG(info, "bogus: " << q.name.to_text() << "/" << q.type << ": " << v.why);
    co_return v;
}

base::awaitable<std::optional<Validator::Judged>> Validator::judge_referral(const Message& msg,
                                                                            const Name& child,
                                                                            const Name& parent,
                                                                            Fetcher& fetcher) {
    // Validated with the parent's keys, the DS in a referral spares a DS query; what does
    // not validate is left for key_entry to ask the parent for again.
    if (keys_.get(child, clock_.now())) co_return std::nullopt;
    std::optional<Claim> ds = referral_ds(msg, child, parent);
    if (!ds) co_return std::nullopt;
    Question ds_question{child, type::DS, cls::IN};
    Verdict v = co_await judge(*ds, ds_question, parent, fetcher);
    // A signed "no DS" must also show the delegation (NS bit): the referral could be forged
    // with the parent's genuine NSEC for an ordinary name (RFC 6840 §4.4).
    bool usable = v.security == Security::insecure ||
                  (v.is_secure() && (ds->kind == Claim::Kind::answer ||
                                     delegation_proven(child, ds->authority, limits_)));
    if (!usable) co_return std::nullopt;
    co_return Judged{std::move(*ds), std::move(v)};
}

base::awaitable<KeyEntry> Validator::key_entry(Name zone, Fetcher& fetcher) {
    uint32_t now = clock_.now();
    // Keys proven from an anchor that has changed since (RFC 5011: a key added or revoked)
    // are proven again from the new one.
    auto cached = keys_.get(zone, now);
    if (cached && cached->anchor_generation == anchors_->generation(zone)) co_return *cached;
    KeyEntry entry;
    std::vector<Record> ds;
    if (auto anchor = anchors_->anchor_for(zone)) {
        ds = std::move(*anchor);
    } else {
        // The DS set comes from the parent, validated like any answer: that walks the
        // chain up to the anchor, one zone at a time. A referral usually brought it
        // already (judge_referral), so this is a cache hit.
        // Named, not a temporary: g++ 12 destroys a temporary argument of an awaited
        // coroutine twice (double free).
        Question ds_question{zone, type::DS, cls::IN};
        FetchResult o = co_await fetcher.fetch(std::move(ds_question));
        entry.verdict = ds_verdict(o, zone, limits_, ds);
        if (entry.verdict.security == Security::unchecked)
            entry.verdict = co_await ds_unobtainable(zone, std::move(entry.verdict), fetcher);
        if (!entry.verdict.is_secure()) {
            uint32_t ttl = kFailureTtl;
            if (!o.authority.empty() && entry.verdict.security == Security::insecure)
                ttl = std::max<uint32_t>(ttl, o.authority.front().ttl);
            P53_LOG(info, "keys of " << zone.to_text() << ": " << entry.verdict.why);
            keys_.put(zone, entry, ttl, now);
            co_return entry;
        }
    }
    co_return co_await fetch_keys(std::move(zone), ds, fetcher);
}

base::awaitable<Name> Validator::deepest_cut(const Name& name, Name top, Fetcher& fetcher) {
    Name zone = top;
    if (!anchors_->closest_anchor(top)) co_return zone;  // nothing to walk from
    for (std::size_t labels = top.label_count() + 1; labels <= name.label_count(); ++labels) {
        Name c = name.suffix(labels);
        if (anchors_->under_negative_anchor(c)) co_return c;
        Question ds_question{c, type::DS, cls::IN};  // named: see key_entry
        FetchResult o = co_await fetcher.fetch(std::move(ds_question));
        // Only validated answers move the walk: anything else leaves the answer to be
        // judged by the last proven cut, which then finds it bogus if it should be signed.
        if (o.security != Security::secure) co_return zone;
        if (o.rcode == rcode::NXDOMAIN) co_return zone;  // nothing below exists
        if (o.rcode != rcode::NOERROR) co_return zone;
        if (!of_type(o.answer, c, type::DS).empty()) {
            zone = c;  // a signed cut: its keys are proven by key_entry from this DS
            continue;
        }
        // No DS: a proven unsigned delegation ends the walk (the answer is insecure); a
        // name that the NSEC shows is no zone cut (no NS bit) is walked through.
        if (delegation_proven(c, o.authority, limits_)) co_return c;
    }
    co_return zone;
}

base::awaitable<Verdict> Validator::ds_unobtainable(const Name& zone, Verdict failed,
                                                    Fetcher& fetcher) {
    // Below a provably insecure parent nothing needs a DS; below a secure one, a DS we
    // could not get or check is an attack until shown otherwise.
    Name parent = fetcher.parent_zone(zone);
    if (!anchors_->closest_anchor(parent)) co_return Verdict::insecure();
    KeyEntry above = co_await key_entry(parent, fetcher);
    if (above.verdict.security == Security::insecure)
        co_return Verdict::insecure("the parent of " + zone.to_text() + " is insecure");
    failed.security = Security::bogus;
    co_return failed;
}

base::awaitable<KeyEntry> Validator::fetch_keys(Name zone, const std::vector<Record>& ds,
                                                Fetcher& fetcher) {
    uint32_t now = clock_.now();
    KeyEntry entry;
    entry.anchor_generation = anchors_->generation(zone);
    uint32_t ttl = kFailureTtl;
    Question keys_question{zone, type::DNSKEY, cls::IN};  // named: see key_entry
    {
        // RFC 4035 §5.2: a DS set of unsupported algorithms or digests only makes the zone
        // insecure whatever its keys are: no need to fetch them.
        Work work(limits_);
        Verdict none = verify_dnskeys({}, {}, ds, zone, clock_.unix_now(), limits_, work, nullptr);
        if (none.security == Security::insecure) {
            entry.verdict = std::move(none);
            P53_LOG(info, "keys of " << zone.to_text() << ": " << entry.verdict.why);
            keys_.put(zone, entry, ttl, now);
            co_return entry;
        }
    }
    // The fleet's shared copy first (Fetcher::shared_keys); what does not verify from there
    // is asked of the zone's servers.
    std::vector<Record> fetched = co_await fetcher.shared_keys(keys_question);
    bool shared = !fetched.empty();
    std::vector<Record> keys, sigs;
    for (;;) {
        if (!shared) fetched = co_await fetcher.fetch_unvalidated(keys_question);
        keys = of_type(fetched, zone, type::DNSKEY);
        sigs = signatures_for(fetched, zone, type::DNSKEY);
        Work work(limits_);
        entry.verdict =
            verify_dnskeys(keys, sigs, ds, zone, clock_.unix_now(), limits_, work, &verified_);
        if (entry.verdict.is_secure() || !shared) break;
        shared = false;
    }
    if (entry.verdict.is_secure()) {
        entry.keys = keys;
        ttl = std::min(entry.verdict.ttl_cap, keys.front().ttl);
        // The validated keys also answer DNSKEY questions.
        fetcher.keep_secure(keys, sigs, ttl);
    } else {
        P53_LOG(info, "keys of " << zone.to_text() << ": " << entry.verdict.why);
    }
    keys_.put(zone, entry, std::max<uint32_t>(ttl, 1), now);
    co_return entry;
}

}  // namespace port53::dnssec
