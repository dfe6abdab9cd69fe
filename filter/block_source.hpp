// Blocklists as the engine's answer source, asked after local data and before the cache:
// a client's question for a listed name (or a CNAME on its way to one) is answered here,
// with Extended DNS Error 15 (Blocked, RFC 8914 §4.16) so clients can tell; one an RPZ zone
// acts on with its action and EDE 17 (Filtered). Allow rules (allowlists, @@ rules, RPZ
// PASSTHRU) win over both; among RPZ zones the first that lists a name decides, and RPZ
// zones before the other lists, since their rules say more than "block".
#pragma once
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/answer_source.hpp"
#include "filter/policies.hpp"

namespace port53::filter {

struct BlockAnswer {
    enum class Kind { nxdomain, nodata, addresses } kind = Kind::nxdomain;
    std::string v4, v6;  // addresses: rdata (4 or 16 bytes); empty gives NODATA for that type
    // "nxdomain", "nodata", "null" (0.0.0.0 and ::) or addresses ("192.0.2.1", "::1" or both
    // separated by a comma); nullopt if it is none of those.
    static std::optional<BlockAnswer> parse(std::string_view text);
};

// Answers given because of one list, for the statistics.
struct ListCount {
    std::string list;  // "config" (the names in the config), a file, a URL or an RPZ file
    uint64_t answers;
};

class BlockSource final : public engine::AnswerSource {
  public:
    BlockSource(std::shared_ptr<const Policies> policies, BlockAnswer answer, uint32_t ttl);
    std::string_view name() const override { return "blocklist"; }
    base::awaitable<std::optional<engine::Step>> answer(const engine::SourceQuestion& q,
                                                        engine::Budget&) override;
    // The answer without a coroutine frame.
    std::optional<engine::Step> lookup(const engine::SourceQuestion& q) const;
    // Per list, in order; the metrics endpoint (issue 12) is to export them.
    std::vector<ListCount> counts() const;

    // The lists now, and their replacement (the same lists, newer contents: counts go on).
    std::shared_ptr<const Policies> policies() const { return policies_.load(); }
    void replace(std::shared_ptr<const Policies> p) { policies_.store(std::move(p)); }

  private:
    std::optional<engine::Step> blocked(const Policies& p, const wire::Question& q) const;
    engine::Step rpz_step(const wire::Question& q, const RpzZone::Hit& hit) const;
    void count(const Policies& p, std::size_t list, const wire::Question& q) const;

    std::atomic<std::shared_ptr<const Policies>> policies_;
    BlockAnswer answer_;
    uint32_t ttl_;
    // [i] the block list labels[i], then [labels.size() + i] rpz[i]. Relaxed atomics: only
    // answers from here count them, never a cache hit, so workers contend on them rarely.
    std::size_t lists_ = 0;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;
};

}  // namespace port53::filter
