#include "engine/engine.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "engine/absorb.hpp"
#include "engine/aggressive.hpp"
#include "engine/cache_source.hpp"
#include "engine/delegation.hpp"
#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

namespace {
// RFC 9156 §2.3: give up minimising after this many extra queries for one name.
constexpr int kMaxMinimiseSteps = 10;
// Other servers of a zone asked after one gave bogus data.
constexpr int kBogusRetries = 2;

bool contains(const std::vector<Name>& names, const Name& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
}

// A forward or stub zone declared insecure is a negative trust anchor (RFC 7646): its answers
// are not validated, every other name still is.
EngineSettings with_insecure_routes(EngineSettings s) {
    if (!s.anchors) return s;
    auto anchors = std::make_shared<dnssec::TrustAnchors>(*s.anchors);
    for (const auto* routes : {&s.forward_zones, &s.stub_zones})
        for (const auto& r : *routes)
            if (r.insecure) anchors->add_negative(r.zone);
    s.anchors = std::move(anchors);
    return s;
}
}  // namespace

Engine::Engine(EngineSettings settings, upstream::RootHints hints, cache::RRsetCache& cache,
               upstream::Infra& infra, upstream::Network& network, const base::Clock& clock)
    : settings_(with_insecure_routes(std::move(settings))),
      hints_(std::move(hints)),
      cache_(cache),
      infra_(infra),
      network_(network),
      clock_(clock),
      validator_(settings_.anchors, settings_.dnssec_limits, clock) {
    // Validation needs somewhere to start; without anchors there is nothing to validate.
    if (!settings_.anchors) settings_.validate = false;
    // With everything forwarded the root's servers are never asked: nothing to prime.
    if (closest_route(Name{}, settings_.forward_zones, {}).kind == RouteKind::forward)
        settings_.prime_root = false;
    sources_.push_back(std::make_unique<CacheSource>(cache_, nsec_ranges_, settings_, clock_));
}

void Engine::add_source(std::unique_ptr<AnswerSource> source) {
    // Before the cache, and so before the second level behind it (set_second_level).
    sources_.insert(sources_.end() - (shared_ ? 2 : 1), std::move(source));
}

base::awaitable<std::optional<Step>> Engine::ask_sources(const SourceQuestion& q, Budget& budget) {
    for (const auto& source : sources_) {
        std::optional<Step> step = co_await source->answer(q, budget);
        if (step) co_return step;
    }
    co_return std::nullopt;
}

Budget Engine::fresh_budget() const {
    Budget b;
    b.upstream_queries_left = settings_.max_upstream_queries;
    b.deadline = std::chrono::steady_clock::now() + settings_.query_timeout;
    return b;
}

bool Engine::out_of_budget(const Budget& b) const {
    return b.upstream_queries_left <= 0 || std::chrono::steady_clock::now() >= b.deadline;
}

base::awaitable<Outcome> Engine::resolve(Question q, bool refresh) {
    Budget budget = fresh_budget();
    if (settings_.prime_root) co_await prime(budget);
    Outcome out = co_await resolve_chain(q, budget, refresh, true);
    P53_LOG(debug, "resolved " << q.name.to_text() << "/" << q.type << " rcode=" << out.rcode
                               << " answers=" << out.answer.size() << " queries="
                               << settings_.max_upstream_queries - budget.upstream_queries_left);
    co_return out;
}

bool Engine::known_not_a_cut(const Question& asked) {
    // A cached NODATA for the name (validated or not) means a minimised query got no
    // referral there. Trusting it only skips a minimisation step: the full question then
    // goes to the same servers, which would refer us anyway.
    // Only NODATA from a zone above the name (an empty non-terminal, say): an answer, or a
    // NODATA from the name's own apex, may well come from a zone cut (RFC 9156 privacy).
    auto neg = cache_.get_negative(asked.name, asked.type, asked.cls, clock_.now());
    if (!neg || neg->nxdomain) return false;
    for (const auto& r : neg->authority)
        if (r.type == type::SOA)
            return asked.name.is_subdomain_of(r.owner) && !(r.owner == asked.name);
    return false;
}

void Engine::remember_not_a_cut(const Message& msg, const Question& asked, const Name& zone) {
    // Kept unvalidated: with validation on it never answers a client, it only saves the
    // next name below from repeating this step (each name under a wildcard asked it again).
    Step s = interpret_answer(msg, asked, zone, cache_.limits(), settings_.max_cname_chain);
    if (s.kind == Step::Kind::answer || s.kind == Step::Kind::nodata)
        cache_step(s, asked.type, asked.cls, msg.has(flag::AA), cache_, clock_.now());
}

base::awaitable<Outcome> Engine::resolve_chain(Question q, Budget& budget, bool refresh,
                                               bool from_client) {
    Outcome out;
    std::vector<Name> seen{q.name};
    int links = 0;
    // q.name: this link of the chain (the client's name first, then each CNAME target).
    for (bool first = true;; first = false) {
        SourceQuestion sq{q, refresh && first, from_client};
        std::optional<Step> step = co_await ask_sources(sq, budget);
        if (!step) step = co_await iterate(q, budget, true);
        for (auto& r : step->records) {
            if (std::find(out.answer.begin(), out.answer.end(), r) != out.answer.end()) continue;
            if (r.type == type::CNAME) ++links;
            out.answer.push_back(std::move(r));
        }
        // A chain is only as trustworthy as its weakest link.
        out.security = first ? step->security : worst(out.security, step->security);
        out.authoritative = first ? step->authoritative : out.authoritative && step->authoritative;
        if (out.ede == ede::none) out.ede = step->ede;
        switch (step->kind) {
            case Step::Kind::answer:
            case Step::Kind::nxdomain:
            case Step::Kind::nodata:
                if (step->kind == Step::Kind::nxdomain) out.rcode = rcode::NXDOMAIN;
                out.authority = std::move(step->authority);
                co_return out;
            case Step::Kind::servfail:
                out.rcode = rcode::SERVFAIL;
                out.answer.clear();
                co_return out;
            case Step::Kind::cname:
                break;
        }
        // A chain that is too long or comes back to a name already seen is a loop.
        if (links > settings_.max_cname_chain ||
            std::find(seen.begin(), seen.end(), step->next) != seen.end()) {
            P53_LOG(info, "CNAME chain too long or looping at " << seen.front().to_text());
            co_return Outcome{rcode::SERVFAIL, {}, {}, Security::unchecked, ede::none};
        }
        q.name = step->next;
        seen.push_back(q.name);
    }
}

std::optional<Delegation> Engine::fallback_delegation(const Delegation& d, const Question& q,
                                                      Budget& budget) {
    uint32_t now = clock_.now();
    // Every server of a route with `first` failed: resolve as if it had none.
    if (d.route_first) return find_delegation(q, cache_, hints_, now, settings_, false);
    if (!d.from_cache || d.zone.is_root() || contains(budget.fallen_back, d.zone))
        return std::nullopt;
    // The cut's own (child-side) servers failed: ask the parent again, whose delegation and
    // glue may still work (RFC 4697 §2.1).
    budget.fallen_back.push_back(d.zone);
    return find_delegation(Question{d.zone, type::DS, q.cls}, cache_, hints_, now, settings_);
}

base::awaitable<Step> Engine::iterate(Question q, Budget& budget, bool validate) {
    Delegation d = find_delegation(q, cache_, hints_, clock_.now(), settings_);
    int referrals = 0;
    bool minimise = settings_.qname_minimisation;
    bool fell_back = false;
    int minimise_steps = 0;
    std::size_t labels = d.zone.label_count() + 1;
    for (;;) {
        if (out_of_budget(budget)) co_return Step{};
        // QNAME minimisation (RFC 9156): reveal one more label than the zone cut, asking for A
        // as Unbound does (NS queries trip more broken servers).
        // A forward zone's resolvers get the whole question: they iterate themselves.
        bool minimised = minimise && d.route != RouteKind::forward && labels < q.name.label_count();
        Question asked = minimised ? Question{q.name.suffix(labels), type::A, q.cls} : q;
        if (minimised && known_not_a_cut(asked)) {
            ++labels;  // asked before: data or NODATA there, no referral
            continue;
        }
        Tried tried;
        std::optional<Reply> reply = co_await ask_zone(d, asked, budget, tried, minimised);
        if (!reply && minimised) {
            // RFC 9156 §2.3: servers that fail the minimised question may still answer the
            // whole one.
            minimise = false;
            continue;
        }
        if (!reply && !fell_back) {
            if (auto other = fallback_delegation(d, q, budget)) {
                fell_back = true;
                d = std::move(*other);
                labels = d.zone.label_count() + 1;
                continue;
            }
        }
        if (!reply) {
            P53_LOG(info, "no usable answer from the servers of " << d.zone.to_text() << " for "
                                                                  << asked.name.to_text());
            co_return Step{};
        }
        if (reply->kind == ResponseKind::referral) {
            if (++referrals > settings_.max_referrals) co_return Step{};
            Name parent = d.zone;
            d = absorb_referral(reply->msg, asked.name, parent, cache_, clock_.now());
            d.from_cache = false;
            if (settings_.validate) co_await validate_referral(reply->msg, d.zone, parent, budget);
            add_cached_addresses(d, q.cls, cache_, clock_.now(), settings_);
            labels = d.zone.label_count() + 1;
            continue;
        }
        if (minimised) {
            // No cut at sname. NXDOMAIN would end it (RFC 8020), but broken servers say
            // NXDOMAIN for empty non-terminals, so re-ask with the full name (relaxed mode).
            if (reply->kind == ResponseKind::nxdomain || ++minimise_steps > kMaxMinimiseSteps)
                minimise = false;
            else
                remember_not_a_cut(reply->msg, asked, d.zone);
            ++labels;
            continue;
        }
        co_return co_await answer_step(d, std::move(*reply), q, budget, validate, tried);
    }
}

base::awaitable<Step> Engine::answer_step(const Delegation& d, Reply reply, const Question& q,
                                          Budget& budget, bool validate, Tried& tried) {
    Name zone = co_await answer_zone(d, q, validate, budget);
    for (int attempt = 0;; ++attempt) {
        Step step =
            interpret_answer(reply.msg, q, zone, cache_.limits(), settings_.max_cname_chain);
        if (validate && settings_.validate) {
            co_await validate_step(step, q, zone, budget);
        }
        // One broken or spoofing server must not decide the answer: bogus data sends the
        // question to the zone's other servers (a few), as Unbound does.
        if (step.security == Security::bogus && attempt < kBogusRetries) {
            auto other = co_await query_zone(d, q, budget, tried);
            if (other && other->kind != ResponseKind::referral) {
                reply = std::move(*other);
                continue;
            }
        }
        cache_step(step, q.type, q.cls, reply.msg.has(flag::AA), cache_, clock_.now());
        if (settings_.aggressive_nsec && step.security == Security::secure)
            remember_ranges(step, nsec_ranges_, cache_, clock_.now());
        to_second_level(step, q, zone);
        co_return step;
    }
}

base::awaitable<std::optional<Engine::Reply>> Engine::ask_zone(Delegation& d, const Question& asked,
                                                               Budget& budget, Tried& tried,
                                                               bool minimised) {
    std::optional<Reply> reply;
    // RFC 8806: a zone whose copy is held here is asked here; its servers only when the copy
    // is unusable. A forward zone's servers are resolvers, not the zone's: never replaced.
    if (zone_copies_ && d.route != RouteKind::forward) {
        if (auto msg = zone_copies_->ask(d.zone, asked)) {
            ResponseKind kind = classify(*msg, asked, d.zone);
            co_return Reply{std::move(*msg), kind, upstream::ServerAddr{}};
        }
    }
    if (!d.addrs.empty()) reply = co_await query_zone(d, asked, budget, tried, minimised);
    // NS names without working addresses: try the other names (RFC 1035 §7.2).
    // No co_await inside && or ||: g++ 12 evaluates it even when the left side is false.
    while (!reply && !out_of_budget(budget)) {
        if (!co_await find_more_addresses(d, asked.cls, budget)) break;
        reply = co_await query_zone(d, asked, budget, tried, minimised);
    }
    co_return reply;
}

base::awaitable<bool> Engine::find_more_addresses(Delegation& d, uint16_t qclass, Budget& budget) {
    if (budget.depth >= settings_.max_ns_depth) co_return false;
    std::size_t limit = std::min<std::size_t>(d.ns_names.size(), settings_.max_ns_lookups);
    while (d.ns_tried < limit && !out_of_budget(budget)) {
        Name ns = d.ns_names[d.ns_tried++];
        // An NS name inside the zone needs the parent's glue; asking the zone would loop.
        // So would a name whose own lookup is already under way further up.
        if (ns.is_subdomain_of(d.zone) || contains(budget.ns_lookups, ns) ||
            contains(budget.dead_ns, ns))
            continue;
        std::size_t before = d.addrs.size();
        ++budget.depth;
        budget.ns_lookups.push_back(ns);
        for (uint16_t t : {type::A, type::AAAA}) {
            if ((t == type::A && !settings_.use_ipv4) || (t == type::AAAA && !settings_.use_ipv6))
                continue;
            // Named, not a temporary: g++ 12 destroys a temporary argument of an awaited
            // coroutine twice (double free).
            Question asked{ns, t, qclass};
            Outcome o = co_await resolve_chain(std::move(asked), budget);
            for (const auto& r : o.answer) {
                auto a = upstream::ServerAddr::from_rdata(r.type, r.rdata);
                if (r.type == t && a && address_allowed(*a, settings_) &&
                    std::find(d.addrs.begin(), d.addrs.end(), *a) == d.addrs.end())
                    d.addrs.push_back(*a);
            }
        }
        budget.ns_lookups.pop_back();
        --budget.depth;
        if (d.addrs.size() > before) co_return true;
        budget.dead_ns.push_back(ns);  // not again in this resolution
    }
    co_return false;
}

}  // namespace port53::engine
