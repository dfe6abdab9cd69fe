// The engine's DNSSEC steps: judge one step from a zone (signatures, then the denial or
// wildcard proof), and build the chain of trust DS → DNSKEY down from an anchor.
#include <algorithm>

#include "dnssec/denial.hpp"
#include "dnssec/verify.hpp"
#include "resolver/engine/absorb.hpp"
#include "resolver/engine/engine.hpp"
#include "resolver/log.hpp"
#include "resolver/wire/types.hpp"

namespace port53::resolver {
using namespace wire;
using dnssec::Proof;
using dnssec::Verdict;

namespace {

constexpr uint32_t kFailureTtl = 60;  // how long an insecure/bogus verdict on a zone is kept

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

// Verifies every RRset of `records` (signatures inline) with the zone's keys. Collects the
// owners of wildcard expansions, which need a proof that the name itself does not exist.
std::optional<Verdict> verify_all(const std::vector<Record>& records,
                                  const std::vector<Record>& keys, const Name& zone, uint32_t now,
                                  const dnssec::Limits& limits, dnssec::Work& work,
                                  dnssec::SignatureCache& seen, uint32_t& cap,
                                  std::vector<std::pair<Name, uint8_t>>& expansions) {
    std::vector<Record> data;
    for (const auto& r : records)
        if (r.type != type::RRSIG) data.push_back(r);
    for (const auto& set : group_rrsets(data)) {
        const Record& f = set.front();
        if (f.type == type::CNAME && synthesised(f, records)) continue;
        auto sigs = dnssec::signatures_for(records, f.owner, f.type);
        Verdict v = dnssec::verify_rrset(set, sigs, keys, zone, now, limits, work, &seen);
        if (!v.is_secure()) return v;
        cap = std::min(cap, v.ttl_cap);
        for (const auto& sig : sigs)
            if (auto info = dnssec::parse_rrsig(sig.rdata);
                info && info->labels < dnssec::signed_labels(f.owner))
                expansions.emplace_back(f.owner, info->labels);
    }
    return std::nullopt;
}

Verdict check_step(const Step& step, uint16_t qtype, const Name& zone,
                   const std::vector<Record>& keys, uint32_t now, const dnssec::Limits& limits,
                   dnssec::SignatureCache& seen) {
    dnssec::Work work(limits);
    uint32_t cap = UINT32_MAX;
    std::vector<std::pair<Name, uint8_t>> expansions;
    if (auto bad = verify_all(step.records, keys, zone, now, limits, work, seen, cap, expansions))
        return *bad;
    std::vector<std::pair<Name, uint8_t>> ignored;
    if (auto bad = verify_all(step.authority, keys, zone, now, limits, work, seen, cap, ignored))
        return *bad;
    for (const auto& [owner, labels] : expansions) {
        Verdict v = from_proof(
            dnssec::prove_wildcard_expansion(owner, labels, step.authority, zone, limits, work),
            cap, owner.to_text());
        if (!v.is_secure()) return v;
    }
    if (step.kind == Step::Kind::nxdomain)
        return from_proof(dnssec::prove_nxdomain(step.next, step.authority, zone, limits, work),
                          cap, step.next.to_text());
    if (step.kind == Step::Kind::nodata)
        return from_proof(
            dnssec::prove_nodata(step.next, qtype, step.authority, zone, limits, work), cap,
            step.next.to_text());
    return Verdict::secure(cap);
}

std::vector<Record> of_type(const std::vector<Record>& rrs, const Name& owner, uint16_t t) {
    std::vector<Record> out;
    for (const auto& r : rrs)
        if (r.type == t && r.owner == owner) out.push_back(r);
    return out;
}

}  // namespace

awaitable<void> Engine::validate_step(Step& step, const Name& qname, uint16_t qtype,
                                      const Name& zone, Budget& budget) {
    if (step.kind == Step::Kind::servfail) co_return;
    const auto& anchors = *settings_.anchors;
    if (anchors.under_negative_anchor(qname) || !anchors.closest_anchor(zone)) {
        step.security = Security::insecure;
        co_return;
    }
    dnssec::KeyEntry keys = co_await key_entry(zone, budget);
    Verdict v = keys.verdict.is_secure()
                    ? check_step(step, qtype, zone, keys.keys, clock_.unix_now(),
                                 settings_.dnssec_limits, verified_)
                    : keys.verdict;
    step.security = v.security;
    step.ede = v.ede;
    step.ttl_cap = v.ttl_cap;
    // Secure data is not handed out for longer than its signatures (and their original
    // TTL) vouch for it.
    if (v.is_secure())
        for (auto* part : {&step.records, &step.authority})
            for (auto& r : *part) r.ttl = std::min(r.ttl, v.ttl_cap);
    if (v.security == Security::bogus)
        P53_LOG(info, "bogus: " << qname.to_text() << "/" << qtype << ": " << v.why);
}

awaitable<dnssec::KeyEntry> Engine::key_entry(Name zone, Budget& budget) {
    uint32_t now = clock_.now();
    if (auto cached = key_cache_.get(zone, now)) co_return *cached;
    dnssec::KeyEntry entry;
    uint32_t ttl = kFailureTtl;
    std::vector<Record> ds;
    if (const auto* anchor = settings_.anchors->anchor_for(zone)) {
        ds = *anchor;
    } else {
        // The DS set comes from the parent, validated like any answer: that walks the
        // chain up to the anchor, one zone at a time.
        Outcome o = co_await resolve_chain(zone, type::DS, cls::IN, budget);
        if (o.security == Security::bogus) {
            entry.verdict = Verdict::bogus(o.ede, "DS of " + zone.to_text() + " is bogus");
        } else if (o.security != Security::secure || o.rcode != rcode::NOERROR) {
            entry.verdict = Verdict::insecure("no secure DS for " + zone.to_text());
        } else {
            ds = of_type(o.answer, zone, type::DS);
            if (ds.empty()) entry.verdict = Verdict::insecure("proven no DS for " + zone.to_text());
        }
        if (ds.empty()) {
            if (!o.authority.empty() && entry.verdict.security == Security::insecure)
                ttl = std::max<uint32_t>(ttl, o.authority.front().ttl);
            key_cache_.put(zone, entry, ttl, now);
            co_return entry;
        }
    }
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

}  // namespace port53::resolver
