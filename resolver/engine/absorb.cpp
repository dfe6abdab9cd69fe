#include "resolver/engine/absorb.hpp"

#include <algorithm>

#include "resolver/wire/types.hpp"

namespace port53::resolver {
using namespace wire;
using cache::Credibility;

std::vector<std::vector<Record>> group_rrsets(const std::vector<Record>& records) {
    std::vector<std::vector<Record>> sets;
    for (const auto& r : records) {
        auto it = std::find_if(sets.begin(), sets.end(), [&](const auto& s) {
            return s.front().type == r.type && s.front().cls == r.cls && s.front().owner == r.owner;
        });
        if (it == sets.end()) sets.push_back({r});
        else if (std::find(it->begin(), it->end(), r) == it->end()) it->push_back(r);
    }
    return sets;
}

namespace {

// Caps TTLs the way the cache will, so an answer served fresh matches one served cached.
void clamp_ttls(std::vector<Record>& rrs, const cache::TtlLimits& l) {
    for (auto& r : rrs) r.ttl = std::clamp(r.ttl, l.min_ttl, std::max(l.min_ttl, l.max_ttl));
}

std::optional<Record> find_soa(const Message& msg, const Name& name, const Name& zone,
                               const cache::TtlLimits& l) {
    for (const auto& r : msg.authority) {
        if (r.type != type::SOA || !name.is_subdomain_of(r.owner) || !r.owner.is_subdomain_of(zone))
            continue;
        Record soa = r;
        // RFC 2308 §5: a negative answer lives min(SOA TTL, SOA MINIMUM).
        if (soa.rdata.size() >= 4) {
            auto minimum = load32(reinterpret_cast<const uint8_t*>(&soa.rdata[soa.rdata.size() - 4]));
            soa.ttl = std::min(soa.ttl, minimum);
        }
        soa.ttl = std::min(soa.ttl, l.max_negative_ttl);
        return soa;
    }
    return std::nullopt;
}

}  // namespace

Step absorb_answer(const Message& msg, const Name& qname, uint16_t qtype, uint16_t qclass,
                   const Name& zone, cache::RRsetCache& cache, uint32_t now, int max_chain) {
    std::vector<Record> in_zone;
    for (const auto& r : msg.answer)
        if (r.cls == qclass && r.owner.is_subdomain_of(zone)) in_zone.push_back(r);
    Credibility cred = msg.has(flag::AA) ? Credibility::auth_answer : Credibility::answer;
    for (const auto& set : group_rrsets(in_zone)) cache.put(set, cred, now);

    Step step;
    Name name = qname;
    for (int links = 0; links <= max_chain; ++links) {
        std::vector<Record> data;
        for (const auto& r : in_zone)
            if (r.owner == name && r.type == qtype) data.push_back(r);
        if (!data.empty()) {
            step.records.insert(step.records.end(), data.begin(), data.end());
            step.kind = Step::Kind::answer;
            clamp_ttls(step.records, cache.limits());
            return step;
        }
        auto dname = std::find_if(in_zone.begin(), in_zone.end(), [&](const Record& r) {
            return r.type == type::DNAME && name.is_subdomain_of(r.owner) && !(name == r.owner);
        });
        auto cname = std::find_if(in_zone.begin(), in_zone.end(), [&](const Record& r) {
            return r.type == type::CNAME && r.owner == name;
        });
        std::optional<Name> target;
        if (dname != in_zone.end()) {
            // Synthesise the CNAME ourselves rather than trusting the server's (RFC 6672 §3.2).
            auto dtarget = rdata_target(type::DNAME, dname->rdata);
            if (dtarget) target = name.replace_suffix(dname->owner, *dtarget);
            if (!target) return Step{};  // would exceed 255 octets: YXDOMAIN, we fail it
            step.records.push_back(*dname);
            step.records.push_back(Record{name, type::CNAME, qclass, dname->ttl,
                                          std::string(target->wire())});
        } else if (cname != in_zone.end()) {
            target = rdata_target(type::CNAME, cname->rdata);
            if (!target) return Step{};
            step.records.push_back(*cname);
        } else {
            break;
        }
        name = *target;
    }
    clamp_ttls(step.records, cache.limits());

    // The chain (possibly empty) stopped at `name` without data for it.
    auto soa = find_soa(msg, name, zone, cache.limits());
    bool in_bailiwick = name.is_subdomain_of(zone);
    Credibility neg_cred = msg.has(flag::AA) ? Credibility::auth_authority : Credibility::referral;
    if (in_bailiwick && msg.rcode() == rcode::NXDOMAIN) {
        cache.put_negative(name, qtype, qclass, true, soa, neg_cred, now);
        step.kind = Step::Kind::nxdomain;
        step.soa = soa;
    } else if (in_bailiwick && (soa || (step.records.empty() && msg.has(flag::AA)))) {
        cache.put_negative(name, qtype, qclass, false, soa, neg_cred, now);
        step.kind = Step::Kind::nodata;
        step.soa = soa;
    } else if (!step.records.empty()) {
        step.kind = Step::Kind::cname;
        step.next = name;
    } else {
        step.kind = Step::Kind::servfail;
    }
    return step;
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
    cache.put(ns, Credibility::referral, now);
    // Glue only for the NS names, and only if the zone we asked may speak for those names.
    std::vector<Record> glue;
    for (const auto& r : msg.additional) {
        if ((r.type != type::A && r.type != type::AAAA) || !r.owner.is_subdomain_of(zone)) continue;
        if (std::find(d.ns_names.begin(), d.ns_names.end(), r.owner) == d.ns_names.end()) continue;
        glue.push_back(r);
        if (auto a = ServerAddr::from_rdata(r.type, r.rdata)) d.addrs.push_back(*a);
    }
    for (const auto& set : group_rrsets(glue)) cache.put(set, Credibility::glue, now);
    return d;
}

}  // namespace port53::resolver
