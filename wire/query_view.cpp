#include "wire/query_view.hpp"

#include <algorithm>

#include "wire/name.hpp"

namespace port53::wire {

namespace {

// Options we act on; the rest are skipped. A COOKIE of a length RFC 7873 §4 does not
// allow (8, or 16 to 40) is FORMERR (§5.2.2).
QueryCheck read_options(std::span<const uint8_t> o, QueryView& q) {
    for (std::size_t pos = 0; pos + 4 <= o.size();) {
        uint16_t code = load16(&o[pos]), len = load16(&o[pos + 2]);
        if (pos + 4 + len > o.size()) return QueryCheck::formerr;
        if (code == edns_option::COOKIE) {
            if (len != 8 && (len < 16 || len > 40)) return QueryCheck::formerr;
            std::copy_n(&o[pos + 4], len, q.cookie);
            q.cookie_len = static_cast<uint8_t>(len);
        }
        pos += 4 + len;
    }
    return QueryCheck::ok;
}

}  // namespace

QueryCheck parse_query(std::span<const uint8_t> w, QueryView& q) {
    if (w.size() < kHeaderSize) return QueryCheck::drop;
    q.id = load16(&w[0]);
    q.flags = load16(&w[2]);
    if (q.flags & flag::QR) return QueryCheck::drop;
    if (((q.flags >> 11) & 0xF) != opcode::QUERY) return QueryCheck::notimp;
    // Like Unbound: exactly one question, no answer or authority records, at most an OPT.
    if (load16(&w[4]) != 1 || load16(&w[6]) != 0 || load16(&w[8]) != 0 || load16(&w[10]) > 1)
        return QueryCheck::formerr;
    std::size_t pos = kHeaderSize;
    auto qname_len = read_name_lower(w, pos, q.qname);
    if (!qname_len) return QueryCheck::formerr;
    q.qname_len = static_cast<uint8_t>(*qname_len);
    if (pos + 4 > w.size()) return QueryCheck::formerr;
    q.qtype = load16(&w[pos]);
    q.qclass = load16(&w[pos + 2]);
    pos += 4;
    q.question_end = static_cast<uint16_t>(pos);
    q.edns = false;
    q.dnssec_ok = false;
    q.udp_size = kMinUdpSize;
    q.cookie_len = 0;
    if (load16(&w[10]) == 1) {
        // The one additional record must be an OPT owned by the root: 0, type, class, ttl, rdlen.
        if (pos + 11 > w.size() || w[pos] != 0 || load16(&w[pos + 1]) != type::OPT)
            return QueryCheck::formerr;
        uint16_t rdlen = load16(&w[pos + 9]);
        if (pos + 11 + rdlen > w.size()) return QueryCheck::formerr;
        q.edns = true;
        q.udp_size = load16(&w[pos + 3]) < kMinUdpSize ? kMinUdpSize : load16(&w[pos + 3]);
        q.dnssec_ok = (load16(&w[pos + 7]) & kEdnsDoBit) != 0;
        if (w[pos + 6] != 0) return QueryCheck::badvers;
        // Nothing may follow the OPT record (a query padded with junk is not a query).
        if (pos + 11 + rdlen != w.size()) return QueryCheck::formerr;
        return read_options(w.subspan(pos + 11, rdlen), q);
    }
    if (pos != w.size()) return QueryCheck::formerr;  // bytes after the question
    return QueryCheck::ok;
}

}  // namespace port53::wire
