// Root priming (RFC 8109): the hints only say where to start. At start, and whenever the
// root's NS RRset has expired from the cache, ask a hinted server for ". NS" and use the
// root's own answer (NS set and addresses) from then on, so stale hints do not steer us.
#include "base/log.hpp"
#include "engine/absorb.hpp"
#include "engine/delegation.hpp"
#include "engine/engine.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

namespace {

// The root servers' addresses from the priming response's additional section (RFC 8109
// §3.3), at glue credibility: only for names in the NS set, and never as answers.
void cache_root_addresses(const Message& msg, cache::RRsetCache& cache, uint32_t now) {
    std::vector<Name> ns;
    for (const auto& r : msg.answer)
        if (r.type == type::NS && r.owner.is_root())
            if (auto n = rdata_target(type::NS, r.rdata)) ns.push_back(*n);
    std::vector<Record> glue;
    for (const auto& r : msg.additional)
        if ((r.type == type::A || r.type == type::AAAA) &&
            std::find(ns.begin(), ns.end(), r.owner) != ns.end())
            glue.push_back(r);
    for (const auto& set : group_rrsets(glue))
        cache.put(set, {}, cache::Trust{cache::Credibility::glue}, now);
}

}  // namespace

base::awaitable<void> Engine::prime_at_start() {
    if (!settings_.prime_root) co_return;
    Budget budget = fresh_budget();
    co_await prime(budget);
}

base::awaitable<void> Engine::prime(Budget& budget) {
    if (auto ns = cache_.get(Name{}, type::NS, cls::IN, clock_.now());
        ns && ns->trust.credibility >= cache::Credibility::answer)
        co_return;
    // One priming query at a time; questions arriving meanwhile start from the hints.
    if (priming_.exchange(true)) co_return;
    Question root_ns{Name{}, type::NS, cls::IN};
    Delegation hints = find_delegation(root_ns, cache_, hints_, clock_.now(), settings_);
    Tried tried;
    auto reply = co_await ask_zone(hints, root_ns, budget, tried, false);
    if (reply && reply->kind == ResponseKind::answer) {
        Message msg = reply->msg;
        Step s = co_await answer_step(hints, std::move(*reply), root_ns, budget, true, tried);
        // The addresses are unsigned glue: taken only with an NS set that validated (or
        // with validation off), never from a bogus or spoofed priming reply.
        if (s.kind == Step::Kind::answer && s.security != Security::bogus)
            cache_root_addresses(msg, cache_, clock_.now());
        P53_LOG(info, "primed the root: " << s.records.size() << " records, security "
                                          << static_cast<int>(s.security));
    } else {
        P53_LOG(warning, "root priming failed; using the root hints");
    }
    priming_.store(false);
}

}  // namespace port53::engine
