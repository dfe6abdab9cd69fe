// Answer sources: what the engine asks, in order, before it iterates. Today the cache; next
// local data, blocklists/RPZ and secondary zones (issue 11) plug in here, each a small class,
// without touching the iteration loop. Forward and stub zones are not answer sources: they
// choose where iteration starts (find_delegation), since their answers still need the
// exchange, classify, absorb, validate and cache steps.
#pragma once
#include <optional>
#include <string_view>

#include "base/coro.hpp"
#include "engine/types.hpp"
#include "wire/message.hpp"

namespace port53::engine {

// One link of a client's question (the question itself, or a CNAME target on its way).
struct SourceQuestion {
    wire::Question question;
    // Prefetch: the cached answer is about to expire, so the cache must not answer it.
    bool refresh = false;
    // false: the engine's own lookup (an NS name's address, a DS set), which sources that
    // speak only to clients (blocklists, say) leave to the next source.
    bool from_client = true;
};

class AnswerSource {
  public:
    virtual ~AnswerSource() = default;
    virtual std::string_view name() const = 0;
    // A step that answers (or continues a chain from) the question, or nothing to let the
    // next source try. `budget` is the client question's work limit, for sources that work.
    virtual base::awaitable<std::optional<Step>> answer(const SourceQuestion& q,
                                                        Budget& budget) = 0;
};

}  // namespace port53::engine
