// Aggressive use of the DNSSEC-validated cache (RFC 8198): validated NSEC and NSEC3
// records kept per zone in order (canonical order of names; hash order for NSEC3), so a
// name they cover gets NXDOMAIN, a type a matching record lacks gets NODATA, and a name
// below an existing wildcard gets the wildcard's data, without asking the
// authorities. Opt-out NSEC3 records are never kept: they prove nothing about insecure
// delegations (§4). Each answer is checked with the same proof functions as a response.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dnssec/verdict.hpp"
#include "wire/message.hpp"

namespace port53::dnssec {

class NsecCache {
  public:
    explicit NsecCache(std::size_t max_entries = 100'000) : max_(max_entries) {}

    // Keeps the NSEC, NSEC3 and SOA RRsets of a validated (secure) response with their
    // RRSIGs. `records`: a step's authority section. TTLs count from `now`.
    void put(const std::vector<wire::Record>& records, uint32_t now);

    struct Denial {
        enum class Kind { nxdomain, nodata, wildcard } kind = Kind::nxdomain;
        wire::Name wildcard;  // Kind::wildcard: the wildcard whose data of `q.type` answers
        wire::Name zone;      // Kind::wildcard: the zone of the proof, which must have signed it
        // NXDOMAIN/NODATA: SOA, NSEC/NSEC3 and RRSIGs; wildcard: the NSEC proving the name
        // does not exist, with its RRSIGs. TTLs counted down.
        std::vector<wire::Record> authority;
        uint32_t ttl = 0;  // the least time left of those records
    };
    // A denial of `q` that the cached records prove, or, for a name they show does not
    // exist below an existing wildcard that has `q.type`, that wildcard (§5.3).
    std::optional<Denial> lookup(const wire::Question& q, uint32_t now, const Limits& limits);

    std::size_t entries() const;
    void clear();

  private:
    struct Entry {
        std::vector<wire::Record> records;  // the RRset and its RRSIGs
        uint32_t expires = 0;
    };
    struct CanonicalLess {
        bool operator()(const wire::Name& a, const wire::Name& b) const;
    };
    struct Zone {
        Entry soa;
        std::map<wire::Name, Entry, CanonicalLess> nsecs;
        std::map<std::string, Entry> nsec3s;  // by the owner's hash
        std::string salt;                     // the NSEC3 parameters of those kept
        uint16_t iterations = 0;
    };
    void insert(const wire::Name& zone, const wire::Record& rr,
                const std::vector<wire::Record>& sigs, uint32_t now);
    bool insert_nsec3(Zone& z, const wire::Record& rr, Entry& e);
    // The live NSEC at or canonically before `name` in `zone`.
    const Entry* at_or_before(const Zone& zone, const wire::Name& name, uint32_t now) const;
    // The live NSEC3 whose range holds `hash` (wrapping round after the last).
    const Entry* nsec3_at_or_before(const Zone& zone, const std::string& hash, uint32_t now) const;
    bool nsec_candidates(const Zone& zone, const wire::Name& zname, const wire::Name& name,
                         uint32_t now, std::vector<const Entry*>& used) const;
    bool nsec3_candidates(const Zone& zone, const wire::Name& zname, const wire::Name& name,
                          uint32_t now, const Limits& limits,
                          std::vector<const Entry*>& used) const;
    std::optional<Denial> wildcard_answer(const Zone& zone, const wire::Name& zname,
                                          const wire::Question& q, const Entry& cover, uint32_t now,
                                          const Limits& limits) const;
    std::optional<Denial> nsec3_wildcard_answer(const Zone& zone, const wire::Name& zname,
                                                const wire::Question& q, uint32_t now,
                                                const Limits& limits) const;
    void drop_expired(uint32_t now);

    mutable std::mutex mutex_;
    std::map<std::string, Zone> zones_;  // by the zone's lower-cased wire name
    std::size_t entries_ = 0;
    std::size_t max_;
};

}  // namespace port53::dnssec
