#include "cache/answer_cache.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>

#include "base/counters.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"

namespace port53::cache {
namespace {

using namespace port53::wire;

// Stored layout: a fixed head, the TTL offsets, then the message from the end of its question.
struct Head {
    uint16_t flags;  // AA (local zones), AD and rcode bits to OR into the reply
    uint16_t counts[3];
    uint32_t stored_at;
    uint16_t n_ttl;
    uint16_t question_end;  // the body is placed at this offset in the reply
    uint16_t ede;           // Extended DNS Error info-code, or ede::none
    uint32_t ttl;           // lifetime when stored, for prefetch
};
// The blob's bytes are only ever copied in and out (memcpy), never accessed as a Head in
// place: a vector<uint8_t>'s storage holds no Head object. Whether a prefetch was started
// for an entry is the LRU entry's `claimed` flag, not a byte of the blob.
uint32_t stored_ttl(std::span<const uint8_t> blob) {
    uint32_t ttl;
    std::memcpy(&ttl, blob.data() + offsetof(Head, ttl), sizeof ttl);
    return ttl;
}
constexpr std::size_t kOptSize = 11;
constexpr std::size_t kEdeOptionSize = 6;  // code 15, length 2, info-code

Head head_of(std::span<const uint8_t> blob) {
    Head h;
    std::memcpy(&h, blob.data(), sizeof h);
    return h;
}

// Where the name in an answer-cache key ends (after its root label), or 0 if it does not.
std::size_t name_end(std::string_view key) {
    std::size_t end = 0;
    while (end < key.size() && key[end] != 0) end += 1 + static_cast<uint8_t>(key[end]);
    return end < key.size() ? end + 1 : 0;
}

// A blob from outside (a cache file) must be what make_stored_answer would have made for
// `key`: render_reply trusts the head's offsets and copies by them.
bool well_formed(std::string_view key, std::span<const uint8_t> blob) {
    std::size_t qlen = name_end(key);
    if (qlen == 0 || (key.size() != qlen + 5 && key.size() != qlen + 6)) return false;
    auto name = Name::from_wire(key.substr(0, qlen));
    if (!name || name->key() != key.substr(0, qlen) || blob.size() < sizeof(Head)) return false;
    Head h = head_of(blob);
    std::size_t offsets = std::size_t{h.n_ttl} * sizeof(uint16_t);
    if (blob.size() < sizeof h + offsets) return false;
    std::size_t body_len = blob.size() - sizeof h - offsets;
    if (h.question_end != kHeaderSize + qlen + 4 || h.question_end + body_len > kMaxMessageSize ||
        (h.flags & ~(flag::AA | flag::AD | 0xF)) != 0)
        return false;
    for (std::size_t i = 0; i < h.n_ttl; ++i) {
        uint16_t off;
        std::memcpy(&off, blob.data() + sizeof h + i * sizeof off, sizeof off);
        if (off < h.question_end || std::size_t{off} + 4 > h.question_end + body_len) return false;
    }
    // The whole message, rebuilt with its question, must parse.
    std::vector<uint8_t> msg(h.question_end + body_len);
    store16(&msg[4], 1);
    for (int i = 0; i < 3; ++i) store16(&msg[6 + 2 * i], h.counts[i]);
    std::memcpy(&msg[kHeaderSize], key.data(), qlen + 4);
    std::memcpy(&msg[h.question_end], blob.data() + sizeof h + offsets, body_len);
    return parse_message(msg).has_value();
}

}  // namespace

std::vector<uint8_t> AnswerCache::portable(std::span<const uint8_t> blob, uint32_t now,
                                           uint32_t unix_now) {
    std::vector<uint8_t> out(blob.begin(), blob.end());
    if (out.size() < sizeof(Head)) return out;
    Head h = head_of(out);
    uint32_t age = now > h.stored_at ? now - h.stored_at : 0;
    h.stored_at = unix_now - std::min(age, unix_now);
    std::memcpy(out.data(), &h, sizeof h);
    return out;
}

bool AnswerCache::restore(std::string_view key, std::span<const uint8_t> blob, uint32_t expires_at,
                          uint32_t now, uint32_t unix_now) {
    if (expires_at <= now || !well_formed(key, blob)) return false;
    std::vector<uint8_t> copy(blob.begin(), blob.end());
    Head h = head_of(copy);
    // Age on the wall clock (none if it went back), carried over to this cache's clock.
    uint32_t age = unix_now > h.stored_at ? unix_now - h.stored_at : 0;
    if (age >= now) return false;
    h.stored_at = now - age;
    std::memcpy(copy.data(), &h, sizeof h);
    lru_.insert(key, copy, expires_at);
    return true;
}

uint8_t AnswerCache::view_of(std::string_view key) {
    std::size_t qlen = name_end(key);
    return qlen != 0 && key.size() == qlen + 6 ? static_cast<uint8_t>(key.back()) : 0;
}

std::vector<AnswerCache::Held> AnswerCache::held(std::string_view name_key, uint32_t now) const {
    std::vector<Held> out;
    lru_.for_each([&](std::string_view key, std::span<const uint8_t> blob, uint32_t expires) {
        if (expires <= now || blob.size() < sizeof(Head) || name_end(key) != name_key.size() ||
            !key.starts_with(name_key) || key.size() < name_key.size() + 5)
            return;
        auto k = reinterpret_cast<const uint8_t*>(key.data()) + name_key.size();
        Head h = head_of(blob);
        out.push_back(Held{
            load16(k), k[4], static_cast<uint8_t>(key.size() > name_key.size() + 5 ? k[5] : 0),
            static_cast<uint8_t>(h.flags & 0xF), (h.flags & flag::AD) != 0, h.ede, expires - now});
    });
    return out;
}

AnswerKey::AnswerKey(const QueryView& q, uint8_t view) {
    std::memcpy(buf, q.qname, q.qname_len);
    len = q.qname_len;
    store16(buf + len, q.qtype);
    store16(buf + len + 2, q.qclass);
    buf[len + 4] = static_cast<uint8_t>((q.dnssec_ok ? 1 : 0) | (q.cd() ? 2 : 0) |
                                        ((q.flags & flag::AD) ? 4 : 0));
    len += 5;
    if (view != 0) buf[len++] = view;
}

StoredAnswer make_stored_answer(std::span<const uint8_t> msg, std::span<const uint16_t> ttl_offsets,
                                uint32_t now, uint16_t ede) {
    std::size_t pos = kHeaderSize;
    uint8_t name[kMaxNameWire];
    if (!read_name_lower(msg, pos, name)) return {};  // not stored (a TTL of 0)
    Head h{};
    h.flags = load16(&msg[2]) & (flag::AA | flag::AD | 0xF);
    for (int i = 0; i < 3; ++i) h.counts[i] = load16(&msg[6 + 2 * i]);
    h.stored_at = now;
    h.n_ttl = static_cast<uint16_t>(ttl_offsets.size());
    h.question_end = static_cast<uint16_t>(pos + 4);
    h.ede = ede;
    StoredAnswer out;
    out.blob.resize(sizeof(Head) + ttl_offsets.size_bytes() + msg.size() - h.question_end);
    if (!ttl_offsets.empty())  // memcpy from a null pointer is undefined even for 0 bytes
        std::memcpy(out.blob.data() + sizeof h, ttl_offsets.data(), ttl_offsets.size_bytes());
    std::memcpy(out.blob.data() + sizeof h + ttl_offsets.size_bytes(), msg.data() + h.question_end,
                msg.size() - h.question_end);
    uint32_t ttl = UINT32_MAX;
    for (uint16_t off : ttl_offsets) ttl = std::min(ttl, load32(&msg[off]));
    out.ttl = ttl_offsets.empty() ? 0 : ttl;
    h.ttl = out.ttl;
    std::memcpy(out.blob.data(), &h, sizeof h);
    return out;
}

std::size_t render_reply(std::span<const uint8_t> blob, const QueryView& q,
                         std::span<const uint8_t> query, std::span<uint8_t> out,
                         const ReplyLimits& limits, uint32_t now, const StaleReply* stale) {
    Head h;
    std::memcpy(&h, blob.data(), sizeof h);
    const auto* offsets = blob.data() + sizeof h;
    const uint8_t* body = offsets + h.n_ttl * sizeof(uint16_t);
    std::size_t body_len = blob.size() - (body - blob.data());
    if (h.question_end != q.question_end) return 0;  // keys match, so this means a bug
    if (stale) h.ede = ede::stale_answer;            // RFC 8914 §4.4
    if (h.ede != ede::none) base::counters().extended_error(h.ede);
    bool with_ede = q.edns && h.ede != ede::none;
    std::size_t cookie = q.edns && !limits.cookie.empty() ? 4 + limits.cookie.size() : 0;
    std::size_t opt = q.edns ? kOptSize + (with_ede ? kEdeOptionSize : 0) + cookie : 0;
    std::size_t full = h.question_end + body_len + opt;
    bool truncated = full > limits.max_size;
    std::size_t len = truncated ? h.question_end + opt : full;
    if (len > out.size()) return 0;

    uint16_t flags = flag::QR | flag::RA | (q.flags & (flag::RD | flag::CD)) | h.flags;
    if (truncated) flags |= flag::TC;
    uint8_t* p = out.data();
    store16(p, q.id);
    store16(p + 2, flags);
    store16(p + 4, 1);
    for (std::size_t i = 0; i < 3; ++i) store16(p + 6 + 2 * i, truncated ? 0 : h.counts[i]);
    // The client's own question, so its case (and 0x20 bits) come back as sent.
    std::memcpy(p + kHeaderSize, query.data() + kHeaderSize, h.question_end - kHeaderSize);
    std::size_t pos = h.question_end;
    if (!truncated) {
        std::memcpy(p + pos, body, body_len);
        uint32_t age = now > h.stored_at ? now - h.stored_at : 0;
        for (std::size_t i = 0; i < h.n_ttl; ++i) {
            uint16_t off;
            std::memcpy(&off, offsets + i * sizeof off, sizeof off);
            uint32_t ttl = load32(p + off);
            store32(p + off, stale ? stale->ttl : ttl > age ? ttl - age : 0);
        }
        pos += body_len;
    }
    if (q.edns) {
        p[pos] = 0;
        store16(p + pos + 1, type::OPT);
        store16(p + pos + 3, limits.our_udp_size);
        store32(p + pos + 5, q.dnssec_ok ? kEdnsDoBit : 0);
        store16(p + pos + 9, static_cast<uint16_t>((with_ede ? kEdeOptionSize : 0) + cookie));
        std::size_t o = pos + 11;
        if (with_ede) {
            store16(p + o, edns_option::EDE);  // RFC 8914
            store16(p + o + 2, 2);
            store16(p + o + 4, h.ede);
            o += kEdeOptionSize;
        }
        if (cookie) {
            store16(p + o, edns_option::COOKIE);
            store16(p + o + 2, static_cast<uint16_t>(limits.cookie.size()));
            std::memcpy(p + o + 4, limits.cookie.data(), limits.cookie.size());
        }
        store16(p + 10, load16(p + 10) + 1);
    }
    return len;
}

void AnswerCache::store(std::string_view key, const StoredAnswer& a, uint32_t now) {
    if (a.ttl == 0) return;
    lru_.insert(key, a.blob, now + a.ttl);
}

std::size_t AnswerCache::answer(const AnswerKey& key, const QueryView& q,
                                std::span<const uint8_t> query, std::span<uint8_t> out,
                                const ReplyLimits& limits, uint32_t now, bool* refresh) {
    std::size_t n = 0;
    lru_.visit(key.view(), [&](std::span<const uint8_t> blob, uint32_t expires,
                               std::atomic<bool>& prefetch_started) {
        if (expires <= now) return false;
        // Popular entries are refreshed in their last tenth of life (like Unbound's prefetch).
        // Readers share the entry: the flag is claimed atomically, so only one refreshes.
        // (Checked before rendering, so nothing of the entry stays live across that call.)
        uint32_t ttl = stored_ttl(blob);
        if (refresh && ttl >= 10 && uint64_t{expires - now} * 10 <= ttl &&
            !prefetch_started.exchange(true, std::memory_order_relaxed))
            *refresh = true;
        n = render_reply(blob, q, query, out, limits, now);
        return n != 0;
    });
    return n;
}

std::size_t AnswerCache::answer_stale(std::string_view key, const QueryView& q,
                                      std::span<const uint8_t> query, std::span<uint8_t> out,
                                      const ReplyLimits& limits, uint32_t now, uint32_t max_stale,
                                      const StaleReply& stale) {
    std::size_t n = 0;
    lru_.visit(key, [&](std::span<const uint8_t> blob, uint32_t expires) {
        if (expires + max_stale <= now) return false;
        n = render_reply(blob, q, query, out, limits, now, &stale);
        return n != 0;
    });
    return n;
}

std::size_t AnswerCache::forget_names(
    const std::function<bool(std::string_view name_wire)>& doomed) {
    // A key is the name's wire form, then 5 bytes (type, class, bits) and for a view its
    // number: see AnswerKey. The name ends at its root label.
    return lru_.erase_if([&](std::string_view key) {
        std::size_t end = 0;
        while (end < key.size() && key[end] != 0) end += 1 + static_cast<uint8_t>(key[end]);
        return end < key.size() && doomed(key.substr(0, end + 1));
    });
}

}  // namespace port53::cache
