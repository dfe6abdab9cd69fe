// Where chains of trust start (RFC 4035 §4.4) and where validation is switched off
// (negative trust anchors, RFC 7646).
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::dnssec {

// An anchor point whose records change while the resolver runs (RFC 5011 upkeep,
// daemon/trust_anchor_upkeep.hpp): one per process, shared by every engine's validator
// (workers read it on a key-cache miss, the upkeep writes it).
class LiveAnchor {
  public:
    LiveAnchor(wire::Name zone, std::vector<wire::Record> records)
        : zone_(std::move(zone)), records_(std::move(records)) {}
    const wire::Name& zone() const { return zone_; }
    std::vector<wire::Record> get() const {
        std::lock_guard lock(mutex_);
        return records_;
    }
    void set(std::vector<wire::Record> records) {
        std::lock_guard lock(mutex_);
        records_ = std::move(records);
        ++generation_;
    }
    // Changes with every set(): keys proven from older records are proven again.
    uint64_t generation() const {
        std::lock_guard lock(mutex_);
        return generation_;
    }

  private:
    const wire::Name zone_;
    mutable std::mutex mutex_;
    std::vector<wire::Record> records_;
    uint64_t generation_ = 0;
};

class TrustAnchors {
  public:
    // The IANA root anchors: KSK-2017 (20326) and KSK-2024 (38696), as DS records.
    static TrustAnchors builtin();
    // DS or DNSKEY records in zone-file format; throws std::runtime_error("file:line: ...").
    static TrustAnchors load(const std::string& path);
    static TrustAnchors from_records(const std::vector<wire::Record>& records);

    void add_negative(const wire::Name& domain) { negative_.push_back(domain); }
    // From now on the anchor records of live->zone() are whatever `live` holds.
    void manage(std::shared_ptr<const LiveAnchor> live);
    // DS/DNSKEY anchor records for exactly `zone`, if it is an anchor point.
    std::optional<std::vector<wire::Record>> anchor_for(const wire::Name& zone) const;
    std::vector<wire::Name> zones() const;
    // LiveAnchor::generation() of `zone`'s anchor; 0 for a fixed one or none.
    uint64_t generation(const wire::Name& zone) const;
    // The closest anchor point at or above `name`.
    std::optional<wire::Name> closest_anchor(const wire::Name& name) const;
    bool under_negative_anchor(const wire::Name& name) const;
    bool empty() const { return anchors_.empty(); }

  private:
    struct Point {
        wire::Name zone;
        std::vector<wire::Record> records;
        std::shared_ptr<const LiveAnchor> live;  // when set, it holds the records
    };
    std::vector<Point> anchors_;
    std::vector<wire::Name> negative_;
};

}  // namespace port53::dnssec
