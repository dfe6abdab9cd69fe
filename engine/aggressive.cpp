#include "engine/aggressive.hpp"

#include "dnssec/verify.hpp"
#include "engine/absorb.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

namespace {

// The RRset (and its RRSIGs) moved to `owner`: a wildcard's data as the expansion for one
// name, or an expansion's data back at its wildcard.
std::vector<Record> at_owner(const std::vector<Record>& records, const Name& owner,
                             uint32_t ttl_cap) {
    std::vector<Record> out;
    for (Record r : records) {
        r.owner = owner;
        r.ttl = std::min(r.ttl, ttl_cap);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

void remember_ranges(const Step& step, dnssec::NsecCache& ranges, cache::RRsetCache& cache,
                     uint32_t now) {
    ranges.put(step.authority, now);
    // A wildcard expansion (RRSIG labels below the owner's) teaches the wildcard's own
    // RRset: kept at "*.<closest encloser>" so other names it covers can be synthesised.
    std::vector<Record> data;
    for (const auto& r : step.records)
        if (r.type != type::RRSIG) data.push_back(r);
    for (const auto& set : group_rrsets(data)) {
        const Record& f = set.front();
        auto sigs = dnssec::signatures_for(step.records, f.owner, f.type);
        // Only the RRSIG that verified is left in a secure step (dnssec::Validator), so it names
        // the zone that signed the data and the wildcard it came from.
        auto info = sigs.size() == 1 ? dnssec::parse_rrsig(sigs.front().rdata) : std::nullopt;
        if (!info || info->labels >= dnssec::signed_labels(f.owner)) continue;
        auto wild = f.owner.suffix(info->labels).wildcard();
        if (!wild || !wild->parent().is_subdomain_of(info->signer)) continue;
        cache.put(at_owner(set, *wild, UINT32_MAX), at_owner(sigs, *wild, UINT32_MAX),
                  cache::Trust{cache::Credibility::auth_answer, Security::secure}, now,
                  step.ttl_cap);
    }
}

std::optional<Step> aggressive_answer(const Question& q, uint32_t now, dnssec::NsecCache& ranges,
                                      cache::RRsetCache& cache, const EngineSettings& settings) {
    // RFC 8198 §5: only with validation on, since only validated ranges are kept.
    if (!settings.validate || !settings.aggressive_nsec) return std::nullopt;
    auto d = ranges.lookup(q, now, settings.dnssec_limits);
    if (!d) return std::nullopt;
    Step s;
    s.next = q.name;
    s.security = Security::secure;
    s.authority = std::move(d->authority);
    using Kind = dnssec::NsecCache::Denial::Kind;
    if (d->kind != Kind::wildcard) {
        s.kind = d->kind == Kind::nxdomain ? Step::Kind::nxdomain : Step::Kind::nodata;
        return s;
    }
    // §5.3: the wildcard's validated RRset, expanded to the name (signatures unchanged:
    // their label count already says they came from a wildcard).
    auto w = cache.get(d->wildcard, q.type, q.cls, now);
    if (!w || w->trust.security != Security::secure || w->records.empty() || w->rrsigs.empty())
        return std::nullopt;
    // Signed by the zone whose ranges proved the name absent, not by a zone above or below.
    auto sig = dnssec::parse_rrsig(w->rrsigs.front().rdata);
    if (!sig || !(sig->signer == d->zone)) return std::nullopt;
    s.kind = Step::Kind::answer;
    s.records = at_owner(w->records, q.name, d->ttl);
    auto sigs = at_owner(w->rrsigs, q.name, d->ttl);
    s.records.insert(s.records.end(), sigs.begin(), sigs.end());
    return s;
}

}  // namespace port53::engine
