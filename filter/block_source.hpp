// Blocklists as the engine's answer source, asked after local data and before the cache:
// a client's question for a listed name (or a CNAME on its way to one) is answered here,
// with Extended DNS Error 15 (Blocked, RFC 8914 §4.16) so clients can tell.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/answer_source.hpp"
#include "filter/blocklist.hpp"

namespace port53::filter {

struct BlockAnswer {
    enum class Kind { nxdomain, nodata, addresses } kind = Kind::nxdomain;
    std::string v4, v6;  // addresses: rdata (4 or 16 bytes); empty gives NODATA for that type
    // "nxdomain", "nodata", "null" (0.0.0.0 and ::) or addresses ("192.0.2.1", "::1" or both
    // separated by a comma); nullopt if it is none of those.
    static std::optional<BlockAnswer> parse(std::string_view text);
};

class BlockSource final : public engine::AnswerSource {
  public:
    BlockSource(std::shared_ptr<const Blocklist> list, BlockAnswer answer, uint32_t ttl)
        : list_(std::move(list)), answer_(std::move(answer)), ttl_(ttl) {}
    std::string_view name() const override { return "blocklist"; }
    base::awaitable<std::optional<engine::Step>> answer(const engine::SourceQuestion& q,
                                                        engine::Budget&) override;
    // The answer without a coroutine frame.
    std::optional<engine::Step> lookup(const engine::SourceQuestion& q) const;

  private:
    std::shared_ptr<const Blocklist> list_;
    BlockAnswer answer_;
    uint32_t ttl_;
};

}  // namespace port53::filter
