// Aggressive use of the DNSSEC-validated cache (RFC 8198): what validated NSEC records and
// wildcard RRsets already prove is answered without asking. Only secure data goes in, and
// only with validation on does anything come out.
#pragma once
#include <cstdint>
#include <optional>

#include "cache/rrset_cache.hpp"
#include "dnssec/nsec_cache.hpp"
#include "engine/types.hpp"

namespace port53::engine {

// The cache step's RFC 8198 half: keep a secure step's NSEC/NSEC3 ranges, and the wildcard
// RRset behind a wildcard expansion, so later names they cover need no question.
void remember_ranges(const Step& step, dnssec::NsecCache& ranges, cache::RRsetCache& cache,
                     uint32_t now);

// A denial or wildcard answer for `q` from the validated ranges, or nothing.
std::optional<Step> aggressive_answer(const wire::Question& q, uint32_t now,
                                      dnssec::NsecCache& ranges, cache::RRsetCache& cache,
                                      const EngineSettings& settings);

}  // namespace port53::engine
