#include "transports/edns_padding.hpp"

#include <optional>

#include "resolver/wire/types.hpp"

namespace port53::transports {
namespace {

constexpr uint16_t kPaddingOption = 12;

// Skips a possibly compressed name; nullopt if it runs past the end.
std::optional<std::size_t> skip_name(std::span<const uint8_t> m, std::size_t pos) {
    while (pos < m.size()) {
        uint8_t len = m[pos];
        if ((len & 0xC0) == 0xC0)
            return pos + 2 <= m.size() ? std::optional(pos + 2) : std::nullopt;
        if (len & 0xC0) return std::nullopt;
        pos += 1 + len;
        if (len == 0) return pos;
    }
    return std::nullopt;
}

struct OptRecord {
    std::size_t start;      // offset of the owner name
    std::size_t rdlen_at;   // offset of RDLENGTH
    std::size_t rdata_end;  // offset just past RDATA
};

// Finds the OPT record; `last` is set if nothing follows it.
std::optional<OptRecord> find_opt(std::span<const uint8_t> m, bool& last) {
    if (m.size() < wire::kHeaderSize) return std::nullopt;
    std::size_t qd = wire::load16(&m[4]);
    std::size_t rr = std::size_t{wire::load16(&m[6])} + wire::load16(&m[8]) + wire::load16(&m[10]);
    std::size_t pos = wire::kHeaderSize;
    for (std::size_t i = 0; i < qd; ++i) {
        auto p = skip_name(m, pos);
        if (!p || *p + 4 > m.size()) return std::nullopt;
        pos = *p + 4;
    }
    std::optional<OptRecord> opt;
    for (std::size_t i = 0; i < rr; ++i) {
        std::size_t start = pos;
        auto p = skip_name(m, pos);
        if (!p || *p + 10 > m.size()) return std::nullopt;
        uint16_t type = wire::load16(&m[*p]);
        std::size_t rdlen = wire::load16(&m[*p + 8]);
        pos = *p + 10 + rdlen;
        if (pos > m.size()) return std::nullopt;
        if (type == wire::type::OPT) opt = OptRecord{start, *p + 8, pos};
    }
    last = opt && opt->rdata_end == m.size();
    return opt;
}

bool options_hold_padding(std::span<const uint8_t> m, const OptRecord& opt) {
    for (std::size_t p = opt.rdlen_at + 2; p + 4 <= opt.rdata_end;
         p += 4 + wire::load16(&m[p + 2])) {
        if (wire::load16(&m[p]) == kPaddingOption) return true;
    }
    return false;
}

}  // namespace

bool has_padding_option(std::span<const uint8_t> query) {
    bool last = false;
    auto opt = find_opt(query, last);
    return opt && options_hold_padding(query, *opt);
}

bool pad_reply(std::vector<uint8_t>& reply, std::size_t block) {
    bool last = false;
    auto opt = find_opt(reply, last);
    if (!opt || !last || block == 0 || options_hold_padding(reply, *opt)) return false;
    std::size_t with_header = reply.size() + 4;
    std::size_t target = (with_header + block - 1) / block * block;
    std::size_t pad = target - with_header;
    std::size_t rdlen = wire::load16(&reply[opt->rdlen_at]) + 4 + pad;
    if (target > 65535 || rdlen > 65535) return false;
    wire::store16(&reply[opt->rdlen_at], static_cast<uint16_t>(rdlen));
    uint8_t header[4];
    wire::store16(header, kPaddingOption);
    wire::store16(header + 2, static_cast<uint16_t>(pad));
    reply.insert(reply.end(), header, header + 4);
    reply.resize(target, 0);  // RFC 7830 §4: the padding octets SHOULD be zero
    return true;
}

}  // namespace port53::transports
