#include "filter/block_source.hpp"

#include <arpa/inet.h>

#include "base/log.hpp"
#include "local/local_zones.hpp"
#include "wire/types.hpp"

namespace port53::filter {
using namespace wire;

namespace {

bool parse_address(std::string_view text, BlockAnswer& out) {
    std::string s(text);
    unsigned char buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1 && out.v4.empty()) {
        out.v4.assign(reinterpret_cast<char*>(buf), 4);
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1 && out.v6.empty()) {
        out.v6.assign(reinterpret_cast<char*>(buf), 16);
        return true;
    }
    return false;
}

}  // namespace

std::optional<BlockAnswer> BlockAnswer::parse(std::string_view text) {
    BlockAnswer a;
    if (text == "nxdomain") return a;
    if (text == "nodata") {
        a.kind = Kind::nodata;
        return a;
    }
    a.kind = Kind::addresses;
    if (text == "null") {  // what Pi-hole and AdGuard Home answer by default
        a.v4.assign(4, '\0');
        a.v6.assign(16, '\0');
        return a;
    }
    auto comma = text.find(',');
    if (!parse_address(text.substr(0, comma), a)) return std::nullopt;
    if (comma != std::string_view::npos && !parse_address(text.substr(comma + 1), a))
        return std::nullopt;
    return a;
}

base::awaitable<std::optional<engine::Step>> BlockSource::answer(const engine::SourceQuestion& q,
                                                                 engine::Budget&) {
    co_return lookup(q);
}

BlockSource::BlockSource(std::shared_ptr<const Policies> policies, BlockAnswer answer, uint32_t ttl)
    : answer_(std::move(answer)),
      ttl_(ttl),
      lists_(policies->labels.size()),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(lists_ + policies->rpz.size())) {
    policies_.store(std::move(policies));
}

std::optional<engine::Step> BlockSource::lookup(const engine::SourceQuestion& q) const {
    // The engine's own lookups (an NS name's address) are not a client's wish to go there.
    if (!q.from_client) return std::nullopt;
    std::shared_ptr<const Policies> p = policies_.load();  // one version for the question
    const Name& name = q.question.name;
    for (std::size_t i = 0; i < p->rpz.size(); ++i) {
        auto hit = p->rpz[i].match(name);
        if (!hit) continue;
        if (p->lists.allowed(name)) return std::nullopt;
        count(*p, lists_ + i, q.question);
        return rpz_step(q.question, *hit);
    }
    return blocked(*p, q.question);
}

std::optional<engine::Step> BlockSource::blocked(const Policies& p, const Question& q) const {
    auto list = p.lists.blocked_by(q.name.wire());
    if (!list) return std::nullopt;
    count(p, *list, q);
    engine::Step s;
    s.ede = ede::blocked;
    s.next = q.name;
    const std::string* rdata = nullptr;
    if (answer_.kind == BlockAnswer::Kind::addresses && q.type == type::A) rdata = &answer_.v4;
    if (answer_.kind == BlockAnswer::Kind::addresses && q.type == type::AAAA) rdata = &answer_.v6;
    if (rdata && !rdata->empty()) {
        s.kind = engine::Step::Kind::answer;
        s.records.push_back(Record{q.name, q.type, q.cls, ttl_, *rdata});
        return s;
    }
    s.kind = answer_.kind == BlockAnswer::Kind::nxdomain ? engine::Step::Kind::nxdomain
                                                         : engine::Step::Kind::nodata;
    s.authority.push_back(local::made_up_soa(q.name, ttl_));
    return s;
}

engine::Step BlockSource::rpz_step(const Question& q, const RpzZone::Hit& hit) const {
    engine::Step s;
    s.ede = ede::filtered;
    s.next = q.name;
    s.kind = hit.action == RpzAction::nodata ? engine::Step::Kind::nodata
                                             : engine::Step::Kind::nxdomain;  // drop too
    if (hit.action == RpzAction::local) {
        // The trigger's records of the type asked; else its CNAME, followed as usual; else
        // NODATA (RPZ local data replaces all of the name's data).
        s.kind = engine::Step::Kind::nodata;
        for (const auto& d : *hit.data)
            if (d.type == q.type)
                s.records.push_back(Record{q.name, d.type, q.cls, d.ttl, d.rdata});
        if (!s.records.empty()) {
            s.kind = engine::Step::Kind::answer;
            return s;
        }
        for (const auto& d : *hit.data) {
            auto target = d.type == type::CNAME ? rdata_target(d.type, d.rdata) : std::nullopt;
            if (!target) continue;
            s.kind = engine::Step::Kind::cname;
            s.next = *target;
            s.records.push_back(Record{q.name, d.type, q.cls, d.ttl, d.rdata});
            return s;
        }
    }
    s.authority.push_back(local::made_up_soa(q.name, ttl_));
    return s;
}

void BlockSource::count(const Policies& p, std::size_t list, const Question& q) const {
    uint64_t n = counts_[list].fetch_add(1, std::memory_order_relaxed) + 1;
    P53_LOG(debug, (list < lists_ ? p.labels[list] : p.rpz[list - lists_].label())
                       << ": " << q.name.to_text() << " filtered (" << n << " answers)");
}

std::vector<ListCount> BlockSource::counts() const {
    std::shared_ptr<const Policies> p = policies_.load();
    std::vector<ListCount> out;
    for (std::size_t i = 0; i < lists_; ++i)
        out.push_back({p->labels[i], counts_[i].load(std::memory_order_relaxed)});
    for (std::size_t i = 0; i < p->rpz.size(); ++i)
        out.push_back({p->rpz[i].label(), counts_[lists_ + i].load(std::memory_order_relaxed)});
    return out;
}

}  // namespace port53::filter
