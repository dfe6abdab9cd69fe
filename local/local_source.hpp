// Local zones as the engine's answer source: asked before the cache, so the operator's names
// and the special-use names are answered here and never asked of anyone.
#pragma once
#include <memory>

#include "engine/answer_source.hpp"
#include "local/local_zones.hpp"

namespace port53::local {

class LocalSource final : public engine::AnswerSource {
  public:
    explicit LocalSource(std::shared_ptr<const LocalZones> zones) : zones_(std::move(zones)) {}
    std::string_view name() const override { return "local"; }
    base::awaitable<std::optional<engine::Step>> answer(const engine::SourceQuestion& q,
                                                        engine::Budget&) override {
        co_return zones_->lookup(q.question);
    }

  private:
    std::shared_ptr<const LocalZones> zones_;
};

}  // namespace port53::local
