// The iterative resolution engine: one coroutine per question. It schedules the steps
// (cache lookup, zone-cut search, server exchange, classify, absorb, CNAME chase) that
// live in their own files, and enforces the per-question work limits.
#pragma once
#include <atomic>
#include <optional>

#include "cache/clock.hpp"
#include "cache/rrset_cache.hpp"
#include "dnssec/key_cache.hpp"
#include "dnssec/nsec_cache.hpp"
#include "dnssec/signature_cache.hpp"
#include "resolver/cookies.hpp"
#include "resolver/coro.hpp"
#include "resolver/engine/classify.hpp"
#include "resolver/engine/types.hpp"
#include "resolver/infra.hpp"
#include "resolver/network.hpp"
#include "resolver/root_hints.hpp"

namespace port53::resolver {

class Engine {
  public:
    Engine(EngineSettings settings, RootHints hints, cache::RRsetCache& cache, Infra& infra,
           Network& network, const cache::Clock& clock);

    // `refresh`: ask the authorities even if the cache still holds the answer (prefetch).
    awaitable<Outcome> resolve(wire::Name qname, uint16_t qtype, uint16_t qclass,
                               bool refresh = false);
    const EngineSettings& settings() const { return settings_; }
    // Root priming (RFC 8109) now, with a question's budget; later ones happen on demand.
    awaitable<void> prime_at_start();

  private:
    struct Reply {
        wire::Message msg;
        ResponseKind kind;
        ServerAddr server;
    };
    using Tried = std::vector<ServerAddr>;  // servers asked this question already
    struct Asked {
        std::optional<wire::Message> msg;
        bool timed_out = false;
    };

    awaitable<void> prime(Budget& budget);
    awaitable<Outcome> resolve_chain(wire::Name qname, uint16_t qtype, uint16_t qclass,
                                     Budget& budget, bool refresh = false);
    awaitable<Step> iterate(wire::Name name, uint16_t qtype, uint16_t qclass, Budget& budget,
                            bool validate);
    // DNSSEC (validate.cpp): judge a step from `zone`, and establish zone keys.
    awaitable<void> validate_step(Step& step, const wire::Name& qname, uint16_t qtype,
                                  const wire::Name& zone, Budget& budget);
    awaitable<dnssec::KeyEntry> key_entry(wire::Name zone, Budget& budget);
    awaitable<void> validate_referral(const wire::Message& msg, const wire::Name& child,
                                      const wire::Name& parent, Budget& budget);
    awaitable<dnssec::KeyEntry> fetch_keys(wire::Name zone, const std::vector<wire::Record>& ds,
                                           Budget& budget);
    awaitable<dnssec::Verdict> ds_unobtainable(const wire::Name& zone, dnssec::Verdict failed,
                                               Budget& budget);
    awaitable<bool> find_more_addresses(Delegation& d, uint16_t qclass, Budget& budget);
    awaitable<std::optional<Reply>> ask_zone(Delegation& d, wire::Name sname, uint16_t stype,
                                             uint16_t qclass, Budget& budget, Tried& tried,
                                             bool minimised);
    awaitable<std::optional<Reply>> query_zone(const Delegation& d, wire::Name sname,
                                               uint16_t stype, uint16_t qclass, Budget& budget,
                                               Tried& tried, bool minimised = false);
    awaitable<Step> answer_step(const Delegation& d, Reply reply, const wire::Name& name,
                                uint16_t qtype, uint16_t qclass, Budget& budget, bool validate,
                                Tried& tried);
    enum class CookieCheck { ok, spoofed, bad_cookie };
    std::vector<uint8_t> cookie_option(const ServerAddr& server);
    CookieCheck check_cookie(const ServerAddr& server, const wire::Message& msg,
                             std::span<const uint8_t> sent);
    awaitable<ExchangeResult> exchange(const ServerAddr& server, std::span<const uint8_t> query,
                                       bool tcp, Budget& budget);
    awaitable<Asked> ask(ServerAddr server, wire::Name sname, uint16_t stype, uint16_t qclass,
                         Budget& budget);
    bool known_not_a_cut(const wire::Name& sname, uint16_t qclass);
    void remember_not_a_cut(const wire::Message& msg, const wire::Name& sname, uint16_t qclass,
                            const wire::Name& zone);
    // RFC 8198 (aggressive.cpp): answers from validated NSEC ranges and wildcards.
    std::optional<Step> aggressive_answer(const wire::Name& name, uint16_t qtype, uint16_t qclass,
                                          uint32_t now);
    void remember_ranges(const Step& step, uint16_t qclass);
    std::optional<Step> cached_step(const wire::Name& name, uint16_t qtype, uint16_t qclass);
    bool usable_from_cache(const cache::Trust& t) const;
    Budget fresh_budget() const;  // one client question's work limits
    bool out_of_budget(const Budget& b) const;

    EngineSettings settings_;
    RootHints hints_;
    cache::RRsetCache& cache_;
    Infra& infra_;
    Network& network_;
    const cache::Clock& clock_;
    dnssec::KeyCache key_cache_;
    dnssec::SignatureCache verified_;
    dnssec::NsecCache nsec_ranges_;  // RFC 8198
    std::atomic<bool> priming_{false};
    CookieSecret cookie_secret_ = random_cookie_secret();  // our client cookies (RFC 7873)
};

}  // namespace port53::resolver
