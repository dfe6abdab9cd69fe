#include "filter/block_source.hpp"

#include <arpa/inet.h>

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

std::optional<engine::Step> BlockSource::lookup(const engine::SourceQuestion& q) const {
    // The engine's own lookups (an NS name's address) are not a client's wish to go there.
    if (!q.from_client || !list_->blocks(q.question.name)) return std::nullopt;
    engine::Step s;
    s.ede = ede::blocked;
    s.next = q.question.name;
    const std::string* rdata = nullptr;
    if (answer_.kind == BlockAnswer::Kind::addresses && q.question.type == type::A)
        rdata = &answer_.v4;
    if (answer_.kind == BlockAnswer::Kind::addresses && q.question.type == type::AAAA)
        rdata = &answer_.v6;
    if (rdata && !rdata->empty()) {
        s.kind = engine::Step::Kind::answer;
        s.records.push_back(Record{q.question.name, q.question.type, q.question.cls, ttl_, *rdata});
        return s;
    }
    s.kind = answer_.kind == BlockAnswer::Kind::nxdomain ? engine::Step::Kind::nxdomain
                                                         : engine::Step::Kind::nodata;
    s.authority.push_back(local::made_up_soa(q.question.name, ttl_));
    return s;
}

}  // namespace port53::filter
