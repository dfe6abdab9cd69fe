// The engine's side of DNSSEC: it calls the validator (dnssec/validator.hpp) on each step
// and referral, and serves what the validator asks for through a Fetcher that spends the
// question's budget, picks servers and caches like any other resolution.
#include "base/log.hpp"
#include "engine/absorb.hpp"
#include "engine/delegation.hpp"
#include "engine/engine.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

namespace {

void apply_verdict(Step& step, const dnssec::Verdict& v) {
    step.security = v.security;
    step.ede = v.ede;
    step.ttl_cap = v.ttl_cap;
}

}  // namespace

// One question's fetcher: what the validator asks for counts against that question's
// budget.
class Engine::Fetcher final : public dnssec::Fetcher {
  public:
    Fetcher(Engine& engine, Budget& budget) : engine_(engine), budget_(budget) {}

    base::awaitable<dnssec::FetchResult> fetch(Question q) override {
        Outcome o = co_await engine_.resolve_chain(std::move(q), budget_);
        co_return dnssec::FetchResult{o.rcode, std::move(o.answer), std::move(o.authority),
                                      o.security, o.ede};
    }
    base::awaitable<std::vector<Record>> fetch_unvalidated(Question q) override {
        Step s = co_await engine_.iterate(std::move(q), budget_, false);
        co_return std::move(s.records);
    }
    base::awaitable<std::vector<Record>> shared_keys(const Question& q) override {
        co_return co_await engine_.shared_keys(q);
    }
    Name parent_zone(const Name& zone) override {
        return find_delegation(Question{zone, type::DS, cls::IN}, engine_.cache_, engine_.hints_,
                               engine_.clock_.now(), engine_.settings_)
            .zone;
    }
    void keep_secure(const std::vector<Record>& rrset, const std::vector<Record>& rrsigs,
                     uint32_t ttl) override {
        engine_.cache_.put(rrset, rrsigs,
                           cache::Trust{cache::Credibility::auth_answer, Security::secure},
                           engine_.clock_.now(), ttl);
        if (rrset.empty()) return;
        // The fleet's copy: read back, it is checked against the DS again (shared_keys).
        Step keys;
        keys.kind = Step::Kind::answer;
        keys.records = rrset;
        keys.records.insert(keys.records.end(), rrsigs.begin(), rrsigs.end());
        keys.next = rrset.front().owner;
        keys.security = Security::secure;
        keys.ttl_cap = ttl;
        engine_.to_second_level(keys, Question{keys.next, type::DNSKEY, cls::IN}, keys.next);
    }

  private:
    Engine& engine_;
    Budget& budget_;
};

base::awaitable<std::vector<Record>> Engine::ask_unvalidated(Question q) {
    Budget budget = fresh_budget();
    if (settings_.prime_root) co_await prime(budget);
    Step s = co_await iterate(std::move(q), budget, false);
    co_return std::move(s.records);
}

base::awaitable<void> Engine::validate_step(Step& step, const Question& q, const Name& zone,
                                            Budget& budget) {
    Fetcher fetcher(*this, budget);
    apply_verdict(step, co_await validator_.judge(step, q, zone, fetcher));
}

base::awaitable<Name> Engine::answer_zone(const Delegation& d, const Question& q, bool validate,
                                          Budget& budget) {
    // The servers of a cut speak for its zone. A forwarder does not say which zone its
    // answer comes from: the chain of trust shows it, so that the answer is judged (and
    // its CNAME chain followed) zone by zone.
    if (d.route != RouteKind::forward || !validate || !settings_.validate) co_return d.zone;
    Fetcher fetcher(*this, budget);
    Name name = q.type == type::DS && !q.name.is_root() ? q.name.parent() : q.name;
    co_return co_await validator_.deepest_cut(name, d.zone, fetcher);
}

base::awaitable<void> Engine::validate_referral(const Message& msg, const Name& child,
                                                const Name& parent, Budget& budget) {
    Fetcher fetcher(*this, budget);
    auto ds = co_await validator_.judge_referral(msg, child, parent, fetcher);
    if (!ds) co_return;
    Step s{std::move(ds->claim)};
    apply_verdict(s, ds->verdict);
    cache_step(s, type::DS, cls::IN, true, cache_, clock_.now());
    to_second_level(s, Question{child, type::DS, cls::IN}, parent);
}

}  // namespace port53::engine
