#include "cache/rrset_cache.hpp"

#include <algorithm>

#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace port53::cache {
namespace {

using wire::Record;

// Value layout: [credibility][kind][security][ede u16][count u16] then per record
// [owner wire][type u16][rdlen u16][rdata]. Every record shares the entry's TTL.
enum Kind : uint8_t { positive = 0, nodata = 1, nxdomain = 2 };
constexpr std::size_t kHead = 7;
constexpr uint16_t kNxdomainType = 0;  // NXDOMAIN covers every type: one key per name

void put16(std::vector<uint8_t>& v, std::size_t n) {
    v.push_back(static_cast<uint8_t>(n >> 8));
    v.push_back(static_cast<uint8_t>(n));
}

std::vector<uint8_t> encode(Kind kind, const Trust& t, const std::vector<const Record*>& rrs) {
    std::vector<uint8_t> v{static_cast<uint8_t>(t.credibility), kind,
                           static_cast<uint8_t>(t.security)};
    put16(v, t.ede);
    put16(v, rrs.size());
    for (const Record* r : rrs) {
        std::string_view w = r->owner.wire();
        v.insert(v.end(), w.begin(), w.end());
        put16(v, r->type);
        put16(v, r->rdata.size());
        v.insert(v.end(), r->rdata.begin(), r->rdata.end());
    }
    return v;
}

// Decodes records; false if the blob is damaged (it never is unless memory is, or it came
// from a file: restore() asks for `whole`, every byte accounted for).
bool decode(std::span<const uint8_t> v, uint16_t cls, uint32_t ttl, std::vector<Record>& out,
            bool whole = false) {
    if (v.size() < kHead) return false;
    std::size_t count = wire::load16(&v[5]), pos = kHead;
    for (std::size_t i = 0; i < count; ++i) {
        auto owner = wire::read_name(v, pos);
        if (!owner || pos + 4 > v.size()) return false;
        uint16_t type = wire::load16(&v[pos]), len = wire::load16(&v[pos + 2]);
        pos += 4;
        if (pos + len > v.size()) return false;
        out.push_back(Record{std::move(*owner), type, cls, ttl,
                             std::string(reinterpret_cast<const char*>(&v[pos]), len)});
        pos += len;
    }
    return !whole || pos == v.size();
}

Trust trust_of(std::span<const uint8_t> v) {
    return Trust{static_cast<Credibility>(v[0]), static_cast<wire::Security>(v[2]),
                 wire::load16(&v[3])};
}

ShardedLru::ReplacePolicy keep_better(Credibility cred, uint32_t now) {
    return [cred, now](std::span<const uint8_t> old, uint32_t old_expires) {
        return old_expires <= now || old.empty() || static_cast<uint8_t>(cred) >= old[0];
    };
}

// A value from outside (a cache file) is what this file would have written for `key`.
bool well_formed(std::string_view key, std::span<const uint8_t> v) {
    if (key.size() < 5 || v.size() < kHead) return false;
    auto owner = wire::Name::from_wire(key.substr(0, key.size() - 4));
    if (!owner || owner->key() != key.substr(0, key.size() - 4)) return false;
    auto k = reinterpret_cast<const uint8_t*>(key.data()) + key.size() - 4;
    uint16_t type = wire::load16(k), cls = wire::load16(k + 2);
    bool cred_ok = v[0] >= static_cast<uint8_t>(Credibility::glue) &&
                   v[0] <= static_cast<uint8_t>(Credibility::auth_answer);
    if (!cred_ok || v[1] > nxdomain || v[2] > static_cast<uint8_t>(wire::Security::bogus))
        return false;
    if ((v[1] == nxdomain) != (type == kNxdomainType)) return false;
    std::vector<Record> records;
    if (!decode(v, cls, 0, records, true)) return false;
    if (v[1] != positive) return true;
    // A positive entry: the RRset itself (at least one record) and its signatures.
    auto belongs = [&](const Record& r) {
        return (r.type == type || r.type == wire::type::RRSIG) && r.owner == *owner;
    };
    return std::any_of(records.begin(), records.end(),
                       [&](const Record& r) { return r.type == type; }) &&
           std::all_of(records.begin(), records.end(), belongs);
}

}  // namespace

bool RRsetCache::restore(std::string_view key, std::span<const uint8_t> value, uint32_t expires_at,
                         uint32_t now) {
    if (expires_at <= now || !well_formed(key, value)) return false;
    lru_.insert(key, value, expires_at, keep_better(static_cast<Credibility>(value[0]), now));
    return true;
}

std::size_t RRsetCache::forget_bogus() {
    std::vector<std::string> doomed;
    lru_.for_each([&](std::string_view key, std::span<const uint8_t> v, uint32_t) {
        if (v.size() >= kHead && v[2] == static_cast<uint8_t>(wire::Security::bogus))
            doomed.emplace_back(key);
    });
    for (const auto& k : doomed) lru_.erase(k);
    return doomed.size();
}

std::vector<RRsetCache::Held> RRsetCache::held(const wire::Name& owner, uint16_t cls,
                                               uint32_t now) const {
    std::string prefix = owner.key();
    std::vector<Held> out;
    lru_.for_each([&](std::string_view key, std::span<const uint8_t> v, uint32_t expires) {
        if (key.size() != prefix.size() + 4 || !key.starts_with(prefix) || expires <= now ||
            v.size() < kHead)
            return;
        auto k = reinterpret_cast<const uint8_t*>(key.data()) + prefix.size();
        if (wire::load16(k + 2) != cls) return;
        Held h;
        h.type = wire::load16(k);
        h.negative = v[1] != positive;
        h.nxdomain = v[1] == nxdomain;
        h.ttl = expires - now;
        h.trust = trust_of(v);
        if (decode(v, cls, h.ttl, h.records)) out.push_back(std::move(h));
    });
    return out;
}

std::string rrset_key(const wire::Name& owner, uint16_t type, uint16_t cls) {
    std::string k = owner.key();
    k.push_back(static_cast<char>(type >> 8));
    k.push_back(static_cast<char>(type));
    k.push_back(static_cast<char>(cls >> 8));
    k.push_back(static_cast<char>(cls));
    return k;
}

uint32_t negative_ttl(const Record& soa) {
    auto v = wire::SoaView::parse(soa.rdata);
    return v ? std::min(soa.ttl, v->minimum()) : soa.ttl;
}

RRsetCache::RRsetCache(std::size_t max_bytes, std::size_t shards, TtlLimits limits)
    : lru_(max_bytes, shards), limits_(limits) {}

uint32_t RRsetCache::clamp_ttl(uint32_t ttl) const {
    return std::clamp(ttl, limits_.min_ttl, std::max(limits_.min_ttl, limits_.max_ttl));
}

std::optional<CachedRRset> RRsetCache::get(const wire::Name& owner, uint16_t type, uint16_t cls,
                                           uint32_t now) {
    std::optional<CachedRRset> out;
    lru_.visit(rrset_key(owner, type, cls), [&](std::span<const uint8_t> v, uint32_t expires) {
        if (expires <= now || v.size() < kHead || v[1] != positive) return false;
        CachedRRset c;
        c.trust = trust_of(v);
        std::vector<Record> all;
        if (!decode(v, cls, expires - now, all)) return false;
        for (auto& r : all)
            (r.type == wire::type::RRSIG ? c.rrsigs : c.records).push_back(std::move(r));
        out = std::move(c);
        return true;
    });
    return out;
}

void RRsetCache::put(const std::vector<Record>& rrset, const std::vector<Record>& rrsigs,
                     const Trust& trust, uint32_t now, uint32_t ttl_cap) {
    if (rrset.empty()) return;
    uint32_t ttl = rrset.front().ttl;
    for (const auto& r : rrset) ttl = std::min(ttl, r.ttl);
    ttl = std::min(clamp_ttl(ttl), std::max(ttl_cap, limits_.min_ttl));
    if (ttl == 0) return;
    std::vector<const Record*> all;
    all.reserve(rrset.size() + rrsigs.size());
    for (const auto& r : rrset) all.push_back(&r);
    for (const auto& r : rrsigs) all.push_back(&r);
    const auto& f = rrset.front();
    lru_.insert(rrset_key(f.owner, f.type, f.cls), encode(positive, trust, all), now + ttl,
                keep_better(trust.credibility, now));
}

std::optional<NegativeEntry> RRsetCache::get_negative(const wire::Name& owner, uint16_t type,
                                                      uint16_t cls, uint32_t now) {
    std::optional<NegativeEntry> out;
    auto read = [&](std::span<const uint8_t> v, uint32_t expires) {
        if (expires <= now || v.size() < kHead || v[1] == positive) return false;
        NegativeEntry e;
        e.nxdomain = v[1] == nxdomain;
        e.trust = trust_of(v);
        if (!decode(v, cls, expires - now, e.authority)) return false;
        out = std::move(e);
        return true;
    };
    if (lru_.visit(rrset_key(owner, kNxdomainType, cls), read)) return out;
    if (type != kNxdomainType) lru_.visit(rrset_key(owner, type, cls), read);
    return out;
}

void RRsetCache::put_negative(const wire::Name& owner, uint16_t type, uint16_t cls, bool nx,
                              const std::vector<Record>& authority, const Trust& trust,
                              uint32_t now, uint32_t ttl_cap) {
    uint32_t ttl = std::min(limits_.max_negative_ttl, ttl_cap);
    auto soa = std::find_if(authority.begin(), authority.end(),
                            [](const Record& r) { return r.type == wire::type::SOA; });
    // No SOA: RFC 2308 §5 says not to cache; keep it briefly to damp repeated queries.
    ttl = std::min(ttl, soa != authority.end() ? negative_ttl(*soa) : 5u);
    ttl = std::max(ttl, limits_.min_ttl);
    if (ttl == 0) return;
    std::vector<const Record*> all;
    all.reserve(authority.size());
    for (const auto& r : authority) all.push_back(&r);
    lru_.insert(rrset_key(owner, nx ? kNxdomainType : type, cls),
                encode(nx ? nxdomain : nodata, trust, all), now + ttl,
                keep_better(trust.credibility, now));
}

}  // namespace port53::cache
