#include "engine/absorb.hpp"

#include <algorithm>

#include "dnssec/verify.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;
using cache::Credibility;

namespace {

// Caps TTLs the way the cache will, so an answer served fresh matches one served cached.
void clamp_ttls(std::vector<Record>& rrs, const cache::TtlLimits& l) {
    for (auto& r : rrs) r.ttl = std::clamp(r.ttl, l.min_ttl, std::max(l.min_ttl, l.max_ttl));
}

void append(std::vector<Record>& to, const std::vector<Record>& from) {
    to.insert(to.end(), from.begin(), from.end());
}

// The denial records of the response: the SOA that owns `name` plus every NSEC/NSEC3 of the
// zone, each with its signatures. The SOA's TTL becomes the negative TTL (RFC 2308 §5).
std::vector<Record> denial_records(const Message& msg, const Name& name, const Name& zone,
                                   const cache::TtlLimits& l) {
    std::vector<Record> out;
    for (const auto& r : msg.authority) {
        if (!r.owner.is_subdomain_of(zone) || r.type == type::RRSIG) continue;
        bool soa = r.type == type::SOA && name.is_subdomain_of(r.owner);
        if (!soa && r.type != type::NSEC && r.type != type::NSEC3) continue;
        Record copy = r;
        if (soa) copy.ttl = std::min(cache::negative_ttl(r), l.max_negative_ttl);
        out.push_back(copy);
        append(out, dnssec::signatures_for(msg.authority, r.owner, r.type));
    }
    return out;
}

bool has_soa(const std::vector<Record>& rrs) {
    return std::any_of(rrs.begin(), rrs.end(), [](const Record& r) { return r.type == type::SOA; });
}

}  // namespace

Step interpret_answer(const Message& msg, const Question& q, const Name& zone,
                      const cache::TtlLimits& limits, int max_chain) {
    std::vector<Record> in_zone;
    for (const auto& r : msg.answer)
        if (r.cls == q.cls && r.owner.is_subdomain_of(zone)) in_zone.push_back(r);
    auto rrset_at = [&](const Name& owner, uint16_t t) {
        std::vector<Record> set;
        for (const auto& r : in_zone)
            if (r.owner == owner && r.type == t) set.push_back(r);
        if (!set.empty()) append(set, dnssec::signatures_for(in_zone, owner, t));
        return set;
    };

    Step step;
    Name name = q.name;
    bool done = false;
    for (int links = 0; links <= max_chain && !done; ++links) {
        if (auto data = rrset_at(name, q.type); !data.empty()) {
            append(step.records, data);
            step.kind = Step::Kind::answer;
            done = true;
            break;
        }
        auto dname = std::find_if(in_zone.begin(), in_zone.end(), [&](const Record& r) {
            return r.type == type::DNAME && name.is_subdomain_of(r.owner) && !(name == r.owner);
        });
        std::optional<Name> target;
        if (dname != in_zone.end()) {
            // Synthesise the CNAME ourselves rather than trusting the server's (RFC 6672 §3.2).
            auto dtarget = rdata_target(type::DNAME, dname->rdata);
            if (dtarget) target = name.replace_suffix(dname->owner, *dtarget);
            if (!target) return Step{};  // would exceed 255 octets: YXDOMAIN, we fail it
            append(step.records, rrset_at(dname->owner, type::DNAME));
            step.records.push_back(
                Record{name, type::CNAME, q.cls, dname->ttl, std::string(target->wire())});
        } else if (auto cname = rrset_at(name, type::CNAME); !cname.empty()) {
            target = rdata_target(type::CNAME, cname.front().rdata);
            if (!target) return Step{};
            append(step.records, cname);
        } else {
            break;
        }
        name = *target;
    }
    clamp_ttls(step.records, limits);
    step.next = name;
    step.authority = denial_records(msg, name, zone, limits);
    if (done) return step;

    // The chain (possibly empty) stopped at `name` without data for it.
    bool in_bailiwick = name.is_subdomain_of(zone);
    if (in_bailiwick && msg.rcode() == rcode::NXDOMAIN) {
        step.kind = Step::Kind::nxdomain;
    } else if (in_bailiwick &&
               (has_soa(step.authority) || (step.records.empty() && msg.has(flag::AA)))) {
        step.kind = Step::Kind::nodata;
    } else if (!step.records.empty()) {
        step.kind = Step::Kind::cname;
        step.authority.clear();
    } else {
        step.kind = Step::Kind::servfail;
    }
    return step;
}

void cache_step(const Step& step, uint16_t qtype, uint16_t qclass, bool aa,
                cache::RRsetCache& cache, uint32_t now) {
    if (step.kind == Step::Kind::servfail) return;
    // Bogus data is kept only briefly (for CD clients), like Unbound's val-bogus-ttl.
    uint32_t cap =
        step.security == Security::bogus ? std::min<uint32_t>(step.ttl_cap, 60) : step.ttl_cap;
    cache::Trust trust{aa ? Credibility::auth_answer : Credibility::answer, step.security,
                       step.ede};
    std::vector<Record> data;
    for (const auto& r : step.records)
        if (r.type != type::RRSIG) data.push_back(r);
    for (const auto& set : group_rrsets(data))
        cache.put(set, dnssec::signatures_for(step.records, set.front().owner, set.front().type),
                  trust, now, cap);
    if (step.kind == Step::Kind::nxdomain || step.kind == Step::Kind::nodata) {
        trust.credibility = aa ? Credibility::auth_authority : Credibility::referral;
        cache.put_negative(step.next, qtype, qclass, step.kind == Step::Kind::nxdomain,
                           step.authority, trust, now, cap);
    }
}

Delegation absorb_referral(const Message& msg, const Name& qname, const Name& zone,
                           cache::RRsetCache& cache, uint32_t now) {
    Delegation d;
    d.zone = *referral_zone(msg, qname, zone);
    std::vector<Record> ns;
    for (const auto& r : msg.authority) {
        if (r.type != type::NS || !(r.owner == d.zone)) continue;
        ns.push_back(r);
        if (auto n = rdata_target(type::NS, r.rdata)) d.ns_names.push_back(*n);
    }
    cache.put(ns, {}, cache::Trust{Credibility::referral}, now);
    // Glue only for the NS names, and only if the zone we asked may speak for those names.
    std::vector<Record> glue;
    for (const auto& r : msg.additional) {
        if ((r.type != type::A && r.type != type::AAAA) || !r.owner.is_subdomain_of(zone)) continue;
        if (std::find(d.ns_names.begin(), d.ns_names.end(), r.owner) == d.ns_names.end()) continue;
        glue.push_back(r);
        if (auto a = upstream::ServerAddr::from_rdata(r.type, r.rdata)) d.addrs.push_back(*a);
    }
    for (const auto& set : group_rrsets(glue))
        cache.put(set, {}, cache::Trust{Credibility::glue}, now);
    return d;
}

}  // namespace port53::engine
