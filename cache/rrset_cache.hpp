// RRsets and negative answers (RFC 2308) learnt during resolution, with RFC 2181 §5.4.1
// credibility (data from an authoritative answer replaces glue, never the reverse) and
// their DNSSEC status; signatures and denial records are kept for DO clients.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cache/lru.hpp"
#include "wire/message.hpp"
#include "wire/security.hpp"

namespace port53::cache {

// Higher is more trustworthy (RFC 2181 §5.4.1, simplified to the ranks a resolver sees).
enum class Credibility : uint8_t {
    glue = 1,            // additional section, or NS addresses of a referral
    referral = 2,        // authority section of a non-authoritative (referral) response
    answer = 3,          // answer section of a non-authoritative response
    auth_authority = 4,  // authority section of an authoritative response (SOA of a denial)
    auth_answer = 5,     // answer section of an authoritative response
};

struct TtlLimits {
    uint32_t min_ttl = 0;
    uint32_t max_ttl = 86400;
    uint32_t max_negative_ttl = 3600;
};

// How a cache entry was judged: its credibility and, when validated, its security.
struct Trust {
    Credibility credibility = Credibility::answer;
    wire::Security security = wire::Security::unchecked;
    uint16_t ede = wire::ede::none;  // why, when bogus
};

struct CachedRRset {
    std::vector<wire::Record> records;  // TTLs counted down
    std::vector<wire::Record> rrsigs;
    Trust trust;
};

struct NegativeEntry {
    bool nxdomain = false;
    std::vector<wire::Record> authority;  // SOA, NSEC/NSEC3 and their RRSIGs; TTLs counted down
    Trust trust;
};

class RRsetCache {
  public:
    RRsetCache(std::size_t max_bytes, std::size_t shards, TtlLimits limits);

    std::optional<CachedRRset> get(const wire::Name& owner, uint16_t type, uint16_t cls,
                                   uint32_t now);
    // `rrset` must be non-empty and share owner/type/class; the smallest TTL applies to all,
    // capped by `ttl_cap` (signature expiry, or the short life of bogus data).
    void put(const std::vector<wire::Record>& rrset, const std::vector<wire::Record>& rrsigs,
             const Trust& trust, uint32_t now, uint32_t ttl_cap = UINT32_MAX);

    // NODATA for (owner, type) or NXDOMAIN for owner, whichever is cached.
    std::optional<NegativeEntry> get_negative(const wire::Name& owner, uint16_t type, uint16_t cls,
                                              uint32_t now);
    // TTL is min(SOA TTL, SOA MINIMUM) per RFC 2308 §5, capped by max_negative_ttl.
    void put_negative(const wire::Name& owner, uint16_t type, uint16_t cls, bool nxdomain,
                      const std::vector<wire::Record>& authority, const Trust& trust, uint32_t now,
                      uint32_t ttl_cap = UINT32_MAX);

    std::size_t bytes() const { return lru_.bytes(); }
    std::size_t entries() const { return lru_.entries(); }
    uint64_t evictions() const { return lru_.evictions(); }
    const TtlLimits& limits() const { return limits_; }
    void clear() { lru_.clear(); }
    // A smaller bound evicts at once (a reload, daemon/reload.hpp).
    void set_capacity(std::size_t max_bytes) { lru_.set_capacity(max_bytes); }
    std::size_t max_bytes() const { return lru_.max_bytes(); }
    // Forgets every RRset and negative entry of the names `doomed` says so (given their
    // lower-cased wire form); returns how many went.
    std::size_t forget_names(const std::function<bool(std::string_view name_wire)>& doomed) {
        // A key is the owner's wire form and 4 bytes (type, class): see rrset_key.
        return lru_.erase_if([&](std::string_view key) {
            return key.size() > 4 && doomed(key.substr(0, key.size() - 4));
        });
    }

    // Persistence (cache/cache_persist.hpp): every entry as stored, its key (rrset_key) and
    // value in this cache's layout, with its expiry on this cache's clock.
    void for_each(const std::function<void(std::string_view key, std::span<const uint8_t> value,
                                           uint32_t expires_at)>& visit) const {
        lru_.for_each(visit);
    }
    // Puts back an entry for_each gave, which may come from a damaged or foreign file: it is
    // checked whole first (false, nothing stored, if key or value does not parse). An entry of
    // better credibility already here stays (RFC 2181 §5.4.1).
    bool restore(std::string_view key, std::span<const uint8_t> value, uint32_t expires_at,
                 uint32_t now);
    // Forgets every entry that failed validation (port53-ctl flush-bogus); returns how many.
    std::size_t forget_bogus();
    // What the cache holds for `owner`, every type and denial (port53-ctl lookup).
    struct Held {
        uint16_t type = 0;  // 0 for NXDOMAIN
        bool negative = false;
        bool nxdomain = false;
        uint32_t ttl = 0;  // left
        Trust trust;
        std::vector<wire::Record> records;  // with RRSIGs, or the denial's authority records
    };
    std::vector<Held> held(const wire::Name& owner, uint16_t cls, uint32_t now) const;

  private:
    uint32_t clamp_ttl(uint32_t ttl) const;
    ShardedLru lru_;
    TtlLimits limits_;
};

// Lower-cased owner wire + type + class: the key layout both caches use.
std::string rrset_key(const wire::Name& owner, uint16_t type, uint16_t cls);
// RFC 2308 §5: how long a denial with this SOA may be cached.
uint32_t negative_ttl(const wire::Record& soa);

}  // namespace port53::cache
