// The iterative resolution engine: one coroutine per question. The engine decides when;
// the steps, each in its own file, decide how. For each link of a question's CNAME chain
// (resolve_chain) it asks the answer sources in order (answer_source.hpp: added sources,
// then the cache), and if none answers it iterates, calling the steps in this order:
//   delegation (delegation.cpp: the closest known zone cut, or the root hints)
//   → exchange (exchange.cpp: server choice, EDNS/TCP fallback, cookies, lameness; a zone
//               whose copy is held here is asked there instead, zone_copies.hpp)
//   → classify (classify.cpp: answer, referral, NXDOMAIN, NODATA, lame, error)
//   → absorb   (absorb.cpp: what the response says, within bailiwick; a referral loops back
//               to exchange with the new cut)
//   → validate (fetcher.cpp: dnssec::Validator judges, fetching through the engine)
//   → cache    (absorb.cpp cache_step, aggressive.cpp remember_ranges).
// It also enforces the per-question work limits (Budget).
#pragma once
#include <atomic>
#include <memory>
#include <optional>

#include "base/clock.hpp"
#include "base/coro.hpp"
#include "cache/rrset_cache.hpp"
#include "cache/shared_entry.hpp"
#include "dnssec/nsec_cache.hpp"
#include "dnssec/validator.hpp"
#include "engine/answer_source.hpp"
#include "engine/classify.hpp"
#include "engine/types.hpp"
#include "engine/zone_copies.hpp"
#include "upstream/cookies.hpp"
#include "upstream/infra.hpp"
#include "upstream/network.hpp"
#include "upstream/root_hints.hpp"
#include "upstream/shared_store.hpp"

namespace port53::engine {

class Engine {
  public:
    Engine(EngineSettings settings, upstream::RootHints hints, cache::RRsetCache& cache,
           upstream::Infra& infra, upstream::Network& network, const base::Clock& clock);

    // `refresh`: ask the authorities even if the cache still holds the answer (prefetch).
    base::awaitable<Outcome> resolve(wire::Question q, bool refresh = false);
    const EngineSettings& settings() const { return settings_; }
    // What the servers of `q.name`'s zone answer to `q`, asked now (not the cache) and not
    // validated, every RRSIG kept: for a caller that checks the records itself (RFC 5011
    // upkeep must see each signature over a DNSKEY set; a validated answer keeps only the
    // one that verified).
    base::awaitable<std::vector<wire::Record>> ask_unvalidated(wire::Question q);
    // Root priming (RFC 8109) now, with a question's budget; later ones happen on demand.
    base::awaitable<void> prime_at_start();
    // Asked after the sources added before it and before the cache (local data, say).
    void add_source(std::unique_ptr<AnswerSource> source);
    // A fleet's second-level cache (engine/second_level.cpp): asked after the cache and
    // before iterating, and given what this engine resolves and validates.
    void set_second_level(std::shared_ptr<upstream::SharedStore> store);
    // Copies of zones asked in place of their servers; `copies` outlives the engine.
    void set_zone_copies(const ZoneCopies* copies) { zone_copies_ = copies; }

  private:
    struct Reply {
        wire::Message msg;
        ResponseKind kind;
        upstream::ServerAddr server;
    };
    using Tried = std::vector<upstream::ServerAddr>;  // servers asked this question already
    struct Asked {
        std::optional<wire::Message> msg;
        bool timed_out = false;
    };

    base::awaitable<void> prime(Budget& budget);
    base::awaitable<Outcome> resolve_chain(wire::Question q, Budget& budget, bool refresh = false,
                                           bool from_client = false);
    base::awaitable<std::optional<Step>> ask_sources(const SourceQuestion& q, Budget& budget);
    base::awaitable<Step> iterate(wire::Question q, Budget& budget, bool validate);
    // The second level (second_level.cpp): a step read back and judged again, the writes,
    // and a zone's keys for the validator to check against their DS.
    class SecondLevelSource;
    base::awaitable<std::optional<Step>> from_second_level(const SourceQuestion& q, Budget& budget);
    void to_second_level(const Step& step, const wire::Question& q, const wire::Name& zone);
    base::awaitable<std::vector<wire::Record>> shared_keys(const wire::Question& q);
    base::awaitable<std::optional<cache::SharedEntry>> shared_entry(const wire::Question& q);
    bool second_level_covers(const wire::Name& name) const;
    // DNSSEC (fetcher.cpp): the validator judges a step from `zone`, or the DS in a
    // referral, and asks for the keys it needs through a Fetcher spending `budget`.
    class Fetcher;
    base::awaitable<void> validate_step(Step& step, const wire::Question& q, const wire::Name& zone,
                                        Budget& budget);
    // The zone whose data an answer from `d`'s servers is (fetcher.cpp): `d`'s, or for a
    // forwarder the deepest cut the chain of trust shows.
    base::awaitable<wire::Name> answer_zone(const Delegation& d, const wire::Question& q,
                                            bool validate, Budget& budget);
    base::awaitable<void> validate_referral(const wire::Message& msg, const wire::Name& child,
                                            const wire::Name& parent, Budget& budget);
    // Where to turn when every server of `d` failed: the parent's servers for a cached cut,
    // iteration for a route with `first`; nothing otherwise.
    std::optional<Delegation> fallback_delegation(const Delegation& d, const wire::Question& q,
                                                  Budget& budget);
    base::awaitable<bool> find_more_addresses(Delegation& d, uint16_t qclass, Budget& budget);
    // `asked`: the question sent to the zone's servers (minimised, or the client's).
    base::awaitable<std::optional<Reply>> ask_zone(Delegation& d, const wire::Question& asked,
                                                   Budget& budget, Tried& tried, bool minimised);
    base::awaitable<std::optional<Reply>> query_zone(const Delegation& d,
                                                     const wire::Question& asked, Budget& budget,
                                                     Tried& tried, bool minimised = false);
    base::awaitable<Step> answer_step(const Delegation& d, Reply reply, const wire::Question& q,
                                      Budget& budget, bool validate, Tried& tried);
    enum class CookieCheck { ok, spoofed, bad_cookie };
    std::vector<uint8_t> cookie_option(const upstream::ServerAddr& server);
    CookieCheck check_cookie(const upstream::ServerAddr& server, const wire::Message& msg,
                             std::span<const uint8_t> sent);
    base::awaitable<upstream::ExchangeResult> exchange(const upstream::ServerAddr& server,
                                                       std::span<const uint8_t> query,
                                                       upstream::Proto proto, Budget& budget);
    // How a zone's servers are asked, as its Delegation says (the engine decides whom, the
    // delegation how): RD=1 for a forward zone's resolvers; DoT only for a tls forward zone.
    struct Asking {
        bool recursive = false;
        upstream::Proto proto = upstream::Proto::udp;
    };
    base::awaitable<Asked> ask(upstream::ServerAddr server, const wire::Question& asked,
                               Budget& budget, Asking how);
    // `asked`: a minimised question (type A) that got no referral.
    bool known_not_a_cut(const wire::Question& asked);
    void remember_not_a_cut(const wire::Message& msg, const wire::Question& asked,
                            const wire::Name& zone);
    Budget fresh_budget() const;  // one client question's work limits
    bool out_of_budget(const Budget& b) const;

    EngineSettings settings_;
    upstream::RootHints hints_;
    cache::RRsetCache& cache_;
    upstream::Infra& infra_;
    upstream::Network& network_;
    const base::Clock& clock_;
    dnssec::Validator validator_;    // with the key and signature caches
    dnssec::NsecCache nsec_ranges_;  // RFC 8198
    std::atomic<bool> priming_{false};
    upstream::CookieSecret cookie_secret_ =
        upstream::random_cookie_secret();  // our client cookies (RFC 7873)
    // Asked in order before iterating: added sources, then the cache (set in the constructor,
    // after the members it refers to), then the second level if there is one.
    std::vector<std::unique_ptr<AnswerSource>> sources_;
    const ZoneCopies* zone_copies_ = nullptr;
    std::shared_ptr<upstream::SharedStore> shared_;  // the second level; null: none
};

}  // namespace port53::engine
