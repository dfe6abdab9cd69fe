// Zones this resolver holds a whole copy of (secondary zones; the root zone, RFC 8806): a
// question the engine would send to such a zone's servers is answered from the copy, as
// those servers would answer it (referrals included), and then goes through the same
// classify, absorb and validate steps as any response. Unbound calls this an auth-zone
// "for-upstream".
#pragma once
#include <optional>

#include "wire/message.hpp"

namespace port53::engine {

class ZoneCopies {
  public:
    virtual ~ZoneCopies() = default;
    // The response `zone`'s servers would give to `q`, or nothing when no usable copy of
    // `zone` is held (none yet, or past its SOA expire): the servers are then asked.
    virtual std::optional<wire::Message> ask(const wire::Name& zone,
                                             const wire::Question& q) const = 0;
};

}  // namespace port53::engine
