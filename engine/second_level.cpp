// The second-level cache a fleet shares (Redis, as Unbound's cachedb module): an answer
// source after the engine's own cache and before iteration, and the writes of what this
// engine resolved and validated (cache step, referral DS sets, proven keys).
//
// Trust. Whoever can write to Redis can put any bytes there, so an entry is a claim, no more
// than a response from the network would be, and it is judged as one:
// - Only secure or proven insecure steps are written: never bogus or unvalidated data, never
//   answers from local data, blocklists, secondary zones or views (they are sources before
//   the cache, or other engines, and never reach these writes), and nothing under a forward
//   or stub zone (another instance may route that zone elsewhere).
// - With validation on, a step read back goes through the validator again, from its RRSIGs
//   and denial proofs, exactly as if its zone's servers had sent it: a forged record has no
//   signature a trusted key made, so it is bogus and the entry is dropped (counted
//   "rejected") and the question iterated. The zone the writer names is only where judging
//   starts; it must hold the name and lie at or below the closest trust anchor, so it cannot
//   skip an island of trust, and the validator proves any cut below it through its DS (a
//   name that is no zone cut has no DS and no NS bit: bogus, RFC 6840 §4.4). The security
//   kept is the worse of the writer's and ours: never more than when it was written.
// - With validation off nothing vouches for the data: it is served unchecked (never AD).
// - A zone's DNSKEY set from Redis is only checked against the DS, as keys fetched from the
//   servers are (dnssec/validator.cpp fetch_keys); keys that fail are fetched again.
// - A value that does not parse, has expired or does not fit the question is ignored
//   (counted "invalid"); Redis down, slow or broken skips the second level (timeout, error).
#include <algorithm>

#include "base/counters.hpp"
#include "cache/shared_entry.hpp"
#include "engine/absorb.hpp"
#include "engine/aggressive.hpp"
#include "engine/engine.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;
using base::Shared;
using cache::SharedEntry;

namespace {

void count(Shared s) {
    base::counters().second_level(s);
}

SharedEntry::Kind entry_kind(Step::Kind k) {
    switch (k) {
        case Step::Kind::cname:
            return SharedEntry::Kind::cname;
        case Step::Kind::nxdomain:
            return SharedEntry::Kind::nxdomain;
        case Step::Kind::nodata:
            return SharedEntry::Kind::nodata;
        default:
            return SharedEntry::Kind::answer;
    }
}

Step::Kind step_kind(SharedEntry::Kind k) {
    switch (k) {
        case SharedEntry::Kind::cname:
            return Step::Kind::cname;
        case SharedEntry::Kind::nxdomain:
            return Step::Kind::nxdomain;
        case SharedEntry::Kind::nodata:
            return Step::Kind::nodata;
        case SharedEntry::Kind::answer:
            break;
    }
    return Step::Kind::answer;
}

// What the servers of `e.zone` could have said to `q`: records of its class within the zone
// (interpret_answer keeps no others), the question's own name first, the data asked for in an
// answer. The validator judges the rest; this only refuses what cannot be a step at all.
bool fits(const SharedEntry& e, const Question& q) {
    // A DS lives in the parent's zone (RFC 4035 §5.2): its zone is above the name.
    bool zone_ok = q.type == type::DS && !q.name.is_root() ? q.name.parent().is_subdomain_of(e.zone)
                                                           : q.name.is_subdomain_of(e.zone);
    if (!zone_ok) return false;
    for (const auto* part : {&e.records, &e.authority})
        for (const auto& r : *part)
            if (r.cls != q.cls || !r.owner.is_subdomain_of(e.zone)) return false;
    auto has = [&](auto pred) { return std::any_of(e.records.begin(), e.records.end(), pred); };
    // The chain starts at the name: its own data or CNAME (one synthesised from a DNAME too).
    bool starts = has([&](const Record& r) { return r.owner == q.name; });
    switch (e.kind) {
        case SharedEntry::Kind::answer:
            return starts && has([&](const Record& r) { return r.type == q.type; });
        case SharedEntry::Kind::cname:
            return starts;
        case SharedEntry::Kind::nxdomain:
        case SharedEntry::Kind::nodata:
            return e.next.is_subdomain_of(e.zone);
    }
    return false;
}

// The zone must not lie above the closest trust anchor of the name: judging from there
// would step over the anchor (and an island of trust below an unsigned zone).
bool below_anchor(const dnssec::TrustAnchors* anchors, const Name& name, const Name& zone) {
    if (!anchors) return true;
    auto anchor = anchors->closest_anchor(name);
    return !anchor || zone.is_subdomain_of(*anchor);
}

}  // namespace

class Engine::SecondLevelSource final : public AnswerSource {
  public:
    explicit SecondLevelSource(Engine& engine) : engine_(engine) {}
    std::string_view name() const override { return "second level"; }
    base::awaitable<std::optional<Step>> answer(const SourceQuestion& q, Budget& b) override {
        co_return co_await engine_.from_second_level(q, b);
    }

  private:
    Engine& engine_;
};

void Engine::set_second_level(std::shared_ptr<upstream::SharedStore> store) {
    if (!store) return;
    bool first = !shared_;
    shared_ = std::move(store);
    if (first) sources_.push_back(std::make_unique<SecondLevelSource>(*this));  // after the cache
}

bool Engine::second_level_covers(const Name& name) const {
    // Forward and stub zones are this instance's own routing: kept out of the shared store.
    return shared_ && !closest_route(name, settings_.forward_zones, settings_.stub_zones).route;
}

// The entry for `q`, read, parsed, aged and checked against the question; what failed counted.
base::awaitable<std::optional<SharedEntry>> Engine::shared_entry(const Question& q) {
    upstream::StoreReply got = co_await shared_->get(cache::shared_key(shared_->prefix(), q));
    switch (got.status) {
        case upstream::StoreReply::Status::hit:
            break;
        case upstream::StoreReply::Status::miss:
            count(Shared::miss);
            co_return std::nullopt;
        case upstream::StoreReply::Status::timeout:
            count(Shared::timeout);
            co_return std::nullopt;
        case upstream::StoreReply::Status::error:
            count(Shared::error);
            co_return std::nullopt;
    }
    std::optional<SharedEntry> e = cache::decode_shared(got.value);
    if (!e || !fits(*e, q) || !below_anchor(settings_.anchors.get(), q.name, e->zone)) {
        count(Shared::invalid);
        co_return std::nullopt;
    }
    if (!cache::age_shared(*e, clock_.unix_now())) {  // Redis kept it a little too long
        count(Shared::miss);
        co_return std::nullopt;
    }
    co_return e;
}

base::awaitable<std::optional<Step>> Engine::from_second_level(const SourceQuestion& q,
                                                               Budget& budget) {
    // Prefetch asks the authorities, not another copy of what is expiring.
    if (q.refresh || !second_level_covers(q.question.name)) co_return std::nullopt;
    std::optional<SharedEntry> e = co_await shared_entry(q.question);
    if (!e) co_return std::nullopt;
    Step step;
    step.kind = step_kind(e->kind);
    step.records = std::move(e->records);
    step.authority = std::move(e->authority);
    step.next = e->next;
    if (settings_.validate) {
        co_await validate_step(step, q.question, e->zone, budget);
        if (step.security != Security::secure && step.security != Security::insecure) {
            count(Shared::rejected);
            co_return std::nullopt;
        }
        step.security = worst(step.security, e->security);
    } else {
        step.security = Security::unchecked;  // nothing here vouches for it
    }
    // The EDE shown to clients is this validator's (set by validate_step), not the writer's.
    cache_step(step, q.question.type, q.question.cls, false, cache_, clock_.now());
    if (settings_.aggressive_nsec && step.security == Security::secure)
        remember_ranges(step, nsec_ranges_, cache_, clock_.now());
    count(Shared::hit);
    co_return step;
}

void Engine::to_second_level(const Step& step, const Question& q, const Name& zone) {
    if (!second_level_covers(q.name) || step.authoritative || step.kind == Step::Kind::servfail)
        return;
    if (step.security != Security::secure && step.security != Security::insecure) return;
    SharedEntry e;
    e.kind = entry_kind(step.kind);
    e.security = step.security;
    e.ede = step.ede;
    e.written = clock_.unix_now();
    e.zone = zone;
    e.next = step.next;
    e.records = step.records;
    e.authority = step.authority;
    uint32_t ttl = std::min(cache::shared_ttl(e), step.ttl_cap);
    if (ttl == 0) return;
    bool sent = shared_->put(cache::shared_key(shared_->prefix(), q), cache::encode_shared(e), ttl);
    count(sent ? Shared::written : Shared::dropped);
}

base::awaitable<std::vector<Record>> Engine::shared_keys(const Question& q) {
    if (!second_level_covers(q.name)) co_return std::vector<Record>{};
    std::optional<SharedEntry> e = co_await shared_entry(q);
    if (!e || e->kind != SharedEntry::Kind::answer) co_return std::vector<Record>{};
    count(Shared::hit);
    co_return std::move(e->records);
}

}  // namespace port53::engine
