#include "engine/cache_source.hpp"

#include "dnssec/verify.hpp"
#include "engine/aggressive.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

base::awaitable<std::optional<Step>> CacheSource::answer(const SourceQuestion& q, Budget&) {
    if (q.refresh) co_return std::nullopt;  // prefetch: ask the authorities again
    co_return lookup(q.question);
}

namespace {

// Below a forward or stub zone its servers speak for the names, not a zone above it: the
// public parent of an internal zone may well prove (even securely) that the zone does not
// exist. Negative data counts there only if it comes from the route's zone or one below
// (its SOA, or the signer of its NSEC records).
bool speaks_for(const std::vector<Record>& authority, const RouteMatch& route) {
    if (!route.route) return true;
    bool any = false;
    for (const auto& r : authority) {
        std::optional<Name> zone;
        if (r.type == type::SOA) zone = r.owner;
        if (r.type == type::RRSIG)
            if (auto sig = dnssec::parse_rrsig(r.rdata)) zone = sig->signer;
        if (!zone) continue;
        if (!zone->is_subdomain_of(route.route->zone)) return false;
        any = true;
    }
    return any;
}

}  // namespace

bool CacheSource::usable(const cache::Trust& t) const {
    // Referral NS sets and glue are for finding servers, not for answering (RFC 2181
    // §5.4.1); with validation on, data nobody validated is fetched again through it.
    if (t.credibility < cache::Credibility::answer) return false;
    return !settings_.validate || t.security != Security::unchecked;
}

std::optional<Step> CacheSource::lookup(const Question& q) {
    uint32_t now = clock_.now();
    auto from = [](Step::Kind kind, const cache::CachedRRset& c) {
        Step s;
        s.kind = kind;
        s.records = c.records;
        s.records.insert(s.records.end(), c.rrsigs.begin(), c.rrsigs.end());
        s.security = c.trust.security;
        s.ede = c.trust.ede;
        return s;
    };
    if (auto c = cache_.get(q.name, q.type, q.cls, now); c && usable(c->trust))
        return from(Step::Kind::answer, *c);
    if (q.type != type::CNAME) {
        auto c = cache_.get(q.name, type::CNAME, q.cls, now);
        if (c && usable(c->trust) && !c->records.empty()) {
            if (auto target = rdata_target(type::CNAME, c->records.front().rdata)) {
                Step s = from(Step::Kind::cname, *c);
                s.next = *target;
                return s;
            }
        }
    }
    RouteMatch route = closest_route(q.name, settings_.forward_zones, settings_.stub_zones);
    auto neg = cache_.get_negative(q.name, q.type, q.cls, now);
    if (neg && usable(neg->trust) && speaks_for(neg->authority, route)) {
        Step s;
        s.kind = neg->nxdomain ? Step::Kind::nxdomain : Step::Kind::nodata;
        s.authority = std::move(neg->authority);
        s.next = q.name;
        s.security = neg->trust.security;
        s.ede = neg->trust.ede;
        return s;
    }
    auto s = aggressive_answer(q, now, ranges_, cache_, settings_);
    if (s && speaks_for(s->authority, route)) return s;
    // RFC 8020: nothing exists below a name that does not exist. Only a validated NXDOMAIN
    // is trusted this far, since some servers say NXDOMAIN for empty non-terminals.
    for (Name up = q.name.parent(); !up.is_root(); up = up.parent()) {
        auto neg = cache_.get_negative(up, 0, q.cls, now);  // type 0: the NXDOMAIN entry
        if (neg && neg->nxdomain && neg->trust.security == Security::secure &&
            speaks_for(neg->authority, route)) {
            Step cut;
            cut.kind = Step::Kind::nxdomain;
            cut.authority = std::move(neg->authority);
            cut.next = up;
            cut.security = Security::secure;
            return cut;
        }
    }
    return std::nullopt;
}

}  // namespace port53::engine
