// The first answer source every engine has: the RRset cache (answers, CNAMEs, NXDOMAIN and
// NODATA entries), then what validated NSEC ranges prove (RFC 8198), then an NXDOMAIN
// above the name (RFC 8020).
#pragma once
#include "base/clock.hpp"
#include "cache/rrset_cache.hpp"
#include "dnssec/nsec_cache.hpp"
#include "engine/answer_source.hpp"

namespace port53::engine {

class CacheSource final : public AnswerSource {
  public:
    CacheSource(cache::RRsetCache& cache, dnssec::NsecCache& ranges, const EngineSettings& settings,
                const base::Clock& clock)
        : cache_(cache), ranges_(ranges), settings_(settings), clock_(clock) {}

    std::string_view name() const override { return "cache"; }
    base::awaitable<std::optional<Step>> answer(const SourceQuestion& q, Budget&) override;

  private:
    std::optional<Step> lookup(const wire::Question& q);
    bool usable(const cache::Trust& t) const;

    cache::RRsetCache& cache_;
    dnssec::NsecCache& ranges_;
    const EngineSettings& settings_;
    const base::Clock& clock_;
};

}  // namespace port53::engine
