#include "transports/edns_padding.hpp"

#include <limits>
#include <optional>

#include "wire/opt_view.hpp"
#include "wire/types.hpp"

namespace port53::transports {
namespace {

bool options_hold_padding(std::span<const uint8_t> m, const wire::OptLocation& opt) {
    return wire::find_option(m, opt, wire::edns_option::PADDING).has_value();
}

}  // namespace

bool has_padding_option(std::span<const uint8_t> query) {
    auto opt = wire::find_opt(query);
    return opt && options_hold_padding(query, *opt);
}

bool pad_reply(std::vector<uint8_t>& reply, std::size_t block) {
    auto opt = wire::find_opt(reply);
    if (!opt || !opt->last || block == 0 || options_hold_padding(reply, *opt)) return false;
    std::size_t with_header = reply.size() + 4;
    std::size_t target = (with_header + block - 1) / block * block;
    std::size_t pad = target - with_header;
    std::size_t rdlen = wire::load16(&reply[opt->rdlen_at]) + 4 + pad;
    if (target > wire::kMaxMessageSize || rdlen > std::numeric_limits<uint16_t>::max())
        return false;
    wire::store16(&reply[opt->rdlen_at], static_cast<uint16_t>(rdlen));
    uint8_t header[4];
    wire::store16(header, wire::edns_option::PADDING);
    wire::store16(header + 2, static_cast<uint16_t>(pad));
    reply.insert(reply.end(), header, header + 4);
    reply.resize(target, 0);  // RFC 7830 §4: the padding octets SHOULD be zero
    return true;
}

}  // namespace port53::transports
