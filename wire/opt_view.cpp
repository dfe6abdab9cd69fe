#include "wire/opt_view.hpp"

#include <algorithm>

#include "wire/types.hpp"

namespace port53::wire {
namespace {

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

// Calls f(owner offset, type, TTL, RDLENGTH offset, end of RDATA, in the additional section)
// for each record after the question section; false if the message is malformed or cut
// short.
template <class F>
bool walk_records(std::span<const uint8_t> m, F&& f) {
    if (m.size() < kHeaderSize) return false;
    std::size_t qd = load16(&m[4]);
    std::size_t before_additional = std::size_t{load16(&m[6])} + load16(&m[8]);
    std::size_t rr = before_additional + load16(&m[10]);
    std::size_t pos = kHeaderSize;
    for (std::size_t i = 0; i < qd; ++i) {
        auto p = skip_name(m, pos);
        if (!p || *p + 4 > m.size()) return false;
        pos = *p + 4;
    }
    for (std::size_t i = 0; i < rr; ++i) {
        std::size_t start = pos;
        auto p = skip_name(m, pos);
        if (!p || *p + 10 > m.size()) return false;
        std::size_t rdlen = load16(&m[*p + 8]);
        pos = *p + 10 + rdlen;
        if (pos > m.size()) return false;
        f(start, load16(&m[*p]), load32(&m[*p + 4]), *p + 8, pos, i >= before_additional);
    }
    return true;
}

}  // namespace

std::optional<OptLocation> find_opt(std::span<const uint8_t> m) {
    std::optional<OptLocation> opt;
    bool whole = walk_records(m, [&](std::size_t start, uint16_t type, uint32_t,
                                     std::size_t rdlen_at, std::size_t end, bool) {
        if (type == type::OPT) opt = OptLocation{start, rdlen_at, end, false};
    });
    if (!whole) return std::nullopt;
    if (opt) opt->last = opt->rdata_end == m.size();
    return opt;
}

std::optional<uint32_t> smallest_ttl(std::span<const uint8_t> m) {
    std::optional<uint32_t> min;
    bool whole = walk_records(m, [&](std::size_t, uint16_t type, uint32_t ttl, std::size_t,
                                     std::size_t, bool additional) {
        if (type == type::OPT && additional) return;  // the EDNS record: its "TTL" is flags
        if (ttl & 0x80000000u) ttl = 0;               // RFC 2181 §8, as parse_message reads it
        min = std::min(min.value_or(ttl), ttl);
    });
    return whole ? min : std::nullopt;
}

std::optional<std::span<const uint8_t>> find_option(std::span<const uint8_t> m,
                                                    const OptLocation& opt, uint16_t code) {
    for (std::size_t p = opt.rdlen_at + 2; p + 4 <= opt.rdata_end;) {
        std::size_t len = load16(&m[p + 2]);
        if (p + 4 + len > opt.rdata_end) return std::nullopt;
        if (load16(&m[p]) == code) return m.subspan(p + 4, len);
        p += 4 + len;
    }
    return std::nullopt;
}

bool cookie_echoed(std::span<const uint8_t> query, std::span<const uint8_t> response) {
    auto qopt = find_opt(query);
    auto sent = qopt ? find_option(query, *qopt, edns_option::COOKIE) : std::nullopt;
    if (!sent || sent->size() < 8) return true;
    auto ropt = find_opt(response);
    auto got = ropt ? find_option(response, *ropt, edns_option::COOKIE) : std::nullopt;
    return !got || (got->size() >= 8 && std::equal(sent->begin(), sent->begin() + 8, got->begin()));
}

}  // namespace port53::wire
