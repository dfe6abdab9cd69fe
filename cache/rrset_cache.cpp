#include "cache/rrset_cache.hpp"

#include <algorithm>

#include "resolver/wire/types.hpp"

namespace port53::cache {
namespace {

// Value layout: [credibility][kind][count u16] then count × [rdlen u16][rdata];
// for negative entries the single "rdata" is the SOA as owner-wire + rdata, or nothing.
enum Kind : uint8_t { positive = 0, nodata = 1, nxdomain = 2 };
constexpr uint16_t kNxdomainType = 0;  // NXDOMAIN covers every type: one key per name

void put16(std::vector<uint8_t>& v, std::size_t n) {
    v.push_back(static_cast<uint8_t>(n >> 8));
    v.push_back(static_cast<uint8_t>(n));
}

ShardedLru::ReplacePolicy keep_better(Credibility cred, uint32_t now) {
    return [cred, now](std::span<const uint8_t> old, uint32_t old_expires) {
        return old_expires <= now || old.empty() || static_cast<uint8_t>(cred) >= old[0];
    };
}

}  // namespace

std::string rrset_key(const wire::Name& owner, uint16_t type, uint16_t cls) {
    std::string k = owner.key();
    k.push_back(static_cast<char>(type >> 8));
    k.push_back(static_cast<char>(type));
    k.push_back(static_cast<char>(cls >> 8));
    k.push_back(static_cast<char>(cls));
    return k;
}

RRsetCache::RRsetCache(std::size_t max_bytes, std::size_t shards, TtlLimits limits)
    : lru_(max_bytes, shards), limits_(limits) {}

uint32_t RRsetCache::clamp_ttl(uint32_t ttl) const {
    return std::clamp(ttl, limits_.min_ttl, std::max(limits_.min_ttl, limits_.max_ttl));
}

std::optional<std::vector<wire::Record>> RRsetCache::get(const wire::Name& owner, uint16_t type,
                                                         uint16_t cls, uint32_t now) {
    std::optional<std::vector<wire::Record>> out;
    lru_.visit(rrset_key(owner, type, cls), [&](std::span<const uint8_t> v, uint32_t expires) {
        if (expires <= now || v.size() < 4 || v[1] != positive) return false;
        std::vector<wire::Record> rrs;
        std::size_t count = wire::load16(&v[2]), pos = 4;
        for (std::size_t i = 0; i < count && pos + 2 <= v.size(); ++i) {
            std::size_t len = wire::load16(&v[pos]);
            pos += 2;
            if (pos + len > v.size()) return false;
            rrs.push_back(wire::Record{owner, type, cls, expires - now,
                                       std::string(reinterpret_cast<const char*>(&v[pos]), len)});
            pos += len;
        }
        out = std::move(rrs);
        return true;
    });
    return out;
}

void RRsetCache::put(const std::vector<wire::Record>& rrset, Credibility cred, uint32_t now) {
    if (rrset.empty()) return;
    uint32_t ttl = rrset.front().ttl;
    for (const auto& r : rrset) ttl = std::min(ttl, r.ttl);
    ttl = clamp_ttl(ttl);
    if (ttl == 0) return;
    std::vector<uint8_t> v{static_cast<uint8_t>(cred), positive};
    put16(v, rrset.size());
    for (const auto& r : rrset) {
        put16(v, r.rdata.size());
        v.insert(v.end(), r.rdata.begin(), r.rdata.end());
    }
    const auto& f = rrset.front();
    lru_.insert(rrset_key(f.owner, f.type, f.cls), v, now + ttl, keep_better(cred, now));
}

std::optional<NegativeEntry> RRsetCache::get_negative(const wire::Name& owner, uint16_t type,
                                                      uint16_t cls, uint32_t now) {
    std::optional<NegativeEntry> out;
    auto read = [&](std::span<const uint8_t> v, uint32_t expires) {
        if (expires <= now || v.size() < 4 || v[1] == positive) return false;
        NegativeEntry e;
        e.nxdomain = v[1] == nxdomain;
        if (wire::load16(&v[2]) == 1 && v.size() > 6) {
            std::size_t pos = 6;
            try {
                wire::Name soa_owner = wire::read_name(v, pos);
                e.soa = wire::Record{soa_owner, wire::type::SOA, cls, expires - now,
                                     std::string(reinterpret_cast<const char*>(&v[pos]),
                                                 v.size() - pos)};
            } catch (const wire::WireError&) {
                return false;
            }
        }
        out = std::move(e);
        return true;
    };
    if (lru_.visit(rrset_key(owner, kNxdomainType, cls), read)) return out;
    if (type != kNxdomainType) lru_.visit(rrset_key(owner, type, cls), read);
    return out;
}

void RRsetCache::put_negative(const wire::Name& owner, uint16_t type, uint16_t cls, bool nx,
                              const std::optional<wire::Record>& soa, Credibility cred,
                              uint32_t now) {
    uint32_t ttl = limits_.max_negative_ttl;
    std::vector<uint8_t> v{static_cast<uint8_t>(cred), nx ? nxdomain : nodata};
    put16(v, soa ? 1 : 0);
    if (soa) {
        // SOA MINIMUM is the last 4 bytes of its rdata.
        const auto& rd = soa->rdata;
        uint32_t minimum = rd.size() >= 4 ? wire::load32(reinterpret_cast<const uint8_t*>(
                                                &rd[rd.size() - 4]))
                                          : 0;
        ttl = std::min({ttl, soa->ttl, minimum});
        std::string_view w = soa->owner.wire();
        put16(v, w.size() + rd.size());
        v.insert(v.end(), w.begin(), w.end());
        v.insert(v.end(), rd.begin(), rd.end());
    } else {
        // No SOA: RFC 2308 §5 says not to cache; keep it briefly to damp repeated queries.
        ttl = std::min<uint32_t>(ttl, 5);
    }
    ttl = std::max(ttl, limits_.min_ttl);
    if (ttl == 0) return;
    lru_.insert(rrset_key(owner, nx ? kNxdomainType : type, cls), v, now + ttl,
                keep_better(cred, now));
}

}  // namespace port53::cache
