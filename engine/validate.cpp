// The engine's DNSSEC steps: judge one step from a zone (signatures, then the denial or
// wildcard proof), and build the chain of trust DS → DNSKEY down from an anchor.
#include <algorithm>

#include "base/log.hpp"
#include "dnssec/denial.hpp"
#include "dnssec/verify.hpp"
#include "engine/absorb.hpp"
#include "engine/delegation.hpp"
#include "engine/engine.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;
using dnssec::Proof;
using dnssec::Verdict;

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

// The validated keys of each zone that signs part of a step: the zone whose servers
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
        if (auto info = dnssec::parse_rrsig(sig.rdata))
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
                                  uint32_t now, const dnssec::Limits& limits, dnssec::Work& work,
                                  dnssec::SignatureCache& seen, uint32_t& cap,
                                  std::vector<Record>& verified,
                                  std::vector<Expansion>& expansions) {
    std::vector<Record> data;
    for (const auto& r : records)
        if (r.type != type::RRSIG) data.push_back(r);
    for (const auto& set : group_rrsets(data)) {
        const Record& f = set.front();
        if (f.type == type::CNAME && synthesised(f, records)) continue;
        auto sigs = dnssec::signatures_for(records, f.owner, f.type);
        const ZoneKeys& signer = signer_of(sigs, signers);
        const Record* used = nullptr;
        Verdict v = dnssec::verify_rrset(set, sigs, signer.keys, signer.zone, now, limits, work,
                                         &seen, &used);
        if (!v.is_secure()) return v;
        cap = std::min(cap, v.ttl_cap);
        verified.push_back(*used);
        if (auto info = dnssec::parse_rrsig(used->rdata);
            info && info->labels < dnssec::signed_labels(f.owner))
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

Verdict check_step(Step& step, uint16_t qtype, const Signers& signers, uint32_t now,
                   const dnssec::Limits& limits, dnssec::SignatureCache& seen) {
    dnssec::Work work(limits);
    uint32_t cap = UINT32_MAX;
    std::vector<Expansion> expansions, ignored;
    std::vector<Record> verified;
    if (auto bad =
            verify_all(step.records, signers, now, limits, work, seen, cap, verified, expansions))
        return *bad;
    if (auto bad =
            verify_all(step.authority, signers, now, limits, work, seen, cap, verified, ignored))
        return *bad;
    if (qtype != type::RRSIG) keep_verified(step.records, verified);  // RRSIGs are the data
    keep_verified(step.authority, verified);
    for (const auto& e : expansions) {
        Verdict v = from_proof(dnssec::prove_wildcard_expansion(e.owner, e.labels, step.authority,
                                                                e.zone, limits, work),
                               cap, e.owner.to_text());
        if (!v.is_secure()) return v;
    }
    // The denial comes from the zone that holds the denied name (the end of a CNAME chain
    // may lie in a child zone on the same servers).
    const Name& zone = zone_for(step.next, signers).zone;
    if (step.kind == Step::Kind::nxdomain)
        return from_proof(dnssec::prove_nxdomain(step.next, step.authority, zone, limits, work),
                          cap, step.next.to_text());
    if (step.kind == Step::Kind::nodata)
        return from_proof(
            dnssec::prove_nodata(step.next, qtype, step.authority, zone, limits, work), cap,
            step.next.to_text());
    return Verdict::secure(cap);
}

// Signer names in `step` strictly below `zone` that could hold the keys for part of it.
std::vector<Name> child_signers(const Step& step, const Name& zone) {
    std::vector<Name> out;
    for (const auto* part : {&step.records, &step.authority})
        for (const auto& r : *part) {
            if (r.type != type::RRSIG) continue;
            auto info = dnssec::parse_rrsig(r.rdata);
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
                       const dnssec::Limits& limits) {
    for (const auto& r : authority) {
        if (r.type != type::RRSIG) continue;
        auto info = dnssec::parse_rrsig(r.rdata);
        if (!info || (info->type_covered != type::NSEC && info->type_covered != type::NSEC3))
            continue;
        dnssec::Work work(limits);
        auto p = dnssec::prove_insecure_delegation(zone, authority, info->signer, limits, work);
        return p == Proof::proven || p == Proof::opt_out;
    }
    return false;
}

Verdict ds_verdict(const Outcome& o, const Name& zone, const dnssec::Limits& limits,
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

void apply_verdict(Step& step, const dnssec::Verdict& v) {
    step.security = v.security;
    step.ede = v.ede;
    step.ttl_cap = v.ttl_cap;
    // Secure data is not handed out for longer than its signatures (and their original
    // TTL) vouch for it.
    if (v.is_secure())
        for (auto* part : {&step.records, &step.authority})
            for (auto& r : *part) r.ttl = std::min(r.ttl, v.ttl_cap);
}

}  // namespace

base::awaitable<void> Engine::validate_step(Step& step, const Name& qname, uint16_t qtype,
                                            const Name& zone, Budget& budget) {
    if (step.kind == Step::Kind::servfail) co_return;
    const auto& anchors = *settings_.anchors;
    if (anchors.under_negative_anchor(qname) || !anchors.closest_anchor(zone)) {
        step.security = Security::insecure;
        co_return;
    }
    dnssec::KeyEntry top = co_await key_entry(zone, budget);
    Verdict v = top.verdict;
    if (v.is_secure()) {
        Signers signers{{zone, std::move(top.keys)}};
        auto below = child_signers(step, zone);
        if (below.size() > kMaxSigners) below.resize(kMaxSigners);
        for (const Name& s : below) {
            // A zone below the answering one is trusted only through its own DS: an
            // insecure verdict reached through a signer name the server chose (an empty
            // non-terminal has no DS either) must not downgrade the answer.
            dnssec::KeyEntry e = co_await key_entry(s, budget);
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
            v = check_step(step, qtype, signers, clock_.unix_now(), settings_.dnssec_limits,
                           verified_);
    }
    apply_verdict(step, v);
    if (v.security == Security::bogus)
        P53_LOG(info, "bogus: " << qname.to_text() << "/" << qtype << ": " << v.why);
}

base::awaitable<void> Engine::validate_referral(const Message& msg, const Name& child,
                                                const Name& parent, Budget& budget) {
    // RFC 4035 §3.1.4.1: a signed parent's referral carries the child's DS RRset, or the
    // NSEC/NSEC3 proving there is none. Validated with the parent's keys, it spares a DS
    // query; what does not validate is left for key_entry to ask the parent for again.
    uint32_t now = clock_.now();
    if (key_cache_.get(child, now)) co_return;
    Step s;
    s.next = child;
    s.kind = Step::Kind::answer;
    for (const auto& r : msg.authority)
        if (r.type == type::DS && r.owner == child) s.records.push_back(r);
    if (s.records.empty()) {
        s.kind = Step::Kind::nodata;
        for (const auto& r : msg.authority)
            if ((r.type == type::NSEC || r.type == type::NSEC3) && r.owner.is_subdomain_of(parent))
                s.authority.push_back(r);
        if (s.authority.empty()) co_return;
        std::vector<Record> sigs;
        for (const auto& r : s.authority) {
            auto more = dnssec::signatures_for(msg.authority, r.owner, r.type);
            sigs.insert(sigs.end(), more.begin(), more.end());
        }
        s.authority.insert(s.authority.end(), sigs.begin(), sigs.end());
    } else {
        auto sigs = dnssec::signatures_for(msg.authority, child, type::DS);
        s.records.insert(s.records.end(), sigs.begin(), sigs.end());
    }
    co_await validate_step(s, child, type::DS, parent, budget);
    // A signed "no DS" must also show the delegation (NS bit): the referral could be forged
    // with the parent's genuine NSEC for an ordinary name (RFC 6840 §4.4).
    bool usable = s.security == Security::insecure ||
                  (s.security == Security::secure &&
                   (s.kind == Step::Kind::answer ||
                    delegation_proven(child, s.authority, settings_.dnssec_limits)));
    if (usable) cache_step(s, type::DS, cls::IN, true, cache_, clock_.now());
}

base::awaitable<dnssec::KeyEntry> Engine::key_entry(Name zone, Budget& budget) {
    uint32_t now = clock_.now();
    if (auto cached = key_cache_.get(zone, now)) co_return *cached;
    dnssec::KeyEntry entry;
    std::vector<Record> ds;
    if (const auto* anchor = settings_.anchors->anchor_for(zone)) {
        ds = *anchor;
    } else {
        // The DS set comes from the parent, validated like any answer: that walks the
        // chain up to the anchor, one zone at a time. A referral usually brought it
        // already (validate_referral), so this is a cache hit.
        Outcome o = co_await resolve_chain(zone, type::DS, cls::IN, budget);
        entry.verdict = ds_verdict(o, zone, settings_.dnssec_limits, ds);
        if (entry.verdict.security == Security::unchecked)
            entry.verdict = co_await ds_unobtainable(zone, std::move(entry.verdict), budget);
        if (!entry.verdict.is_secure()) {
            uint32_t ttl = kFailureTtl;
            if (!o.authority.empty() && entry.verdict.security == Security::insecure)
                ttl = std::max<uint32_t>(ttl, o.authority.front().ttl);
            P53_LOG(info, "keys of " << zone.to_text() << ": " << entry.verdict.why);
            key_cache_.put(zone, entry, ttl, now);
            co_return entry;
        }
    }
    co_return co_await fetch_keys(std::move(zone), ds, budget);
}

base::awaitable<Verdict> Engine::ds_unobtainable(const Name& zone, Verdict failed, Budget& budget) {
    // Below a provably insecure parent nothing needs a DS; below a secure one, a DS we
    // could not get or check is an attack until shown otherwise.
    Delegation parent =
        find_delegation(zone, type::DS, cls::IN, cache_, hints_, clock_.now(), settings_);
    if (!settings_.anchors->closest_anchor(parent.zone)) co_return Verdict::insecure();
    dnssec::KeyEntry above = co_await key_entry(parent.zone, budget);
    if (above.verdict.security == Security::insecure)
        co_return Verdict::insecure("the parent of " + zone.to_text() + " is insecure");
    failed.security = Security::bogus;
    co_return failed;
}

base::awaitable<dnssec::KeyEntry> Engine::fetch_keys(Name zone, const std::vector<Record>& ds,
                                                     Budget& budget) {
    uint32_t now = clock_.now();
    dnssec::KeyEntry entry;
    uint32_t ttl = kFailureTtl;
    Step fetched = co_await iterate(zone, type::DNSKEY, cls::IN, budget, false);
    std::vector<Record> keys = of_type(fetched.records, zone, type::DNSKEY);
    dnssec::Work work(settings_.dnssec_limits);
    entry.verdict = dnssec::verify_dnskeys(
        keys, dnssec::signatures_for(fetched.records, zone, type::DNSKEY), ds, zone,
        clock_.unix_now(), settings_.dnssec_limits, work, &verified_);
    if (entry.verdict.is_secure()) {
        entry.keys = keys;
        ttl = std::min(entry.verdict.ttl_cap, keys.front().ttl);
        // The validated keys also answer DNSKEY questions from the cache.
        cache_.put(keys, dnssec::signatures_for(fetched.records, zone, type::DNSKEY),
                   cache::Trust{cache::Credibility::auth_answer, Security::secure}, clock_.now(),
                   ttl);
    } else {
        P53_LOG(info, "keys of " << zone.to_text() << ": " << entry.verdict.why);
    }
    key_cache_.put(zone, entry, std::max<uint32_t>(ttl, 1), now);
    co_return entry;
}

}  // namespace port53::engine
