// Where chains of trust start (RFC 4035 §4.4) and where validation is switched off
// (negative trust anchors, RFC 7646).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::dnssec {

class TrustAnchors {
  public:
    // The IANA root anchors: KSK-2017 (20326) and KSK-2024 (38696), as DS records.
    static TrustAnchors builtin();
    // DS or DNSKEY records in zone-file format; throws std::runtime_error("file:line: ...").
    static TrustAnchors load(const std::string& path);
    static TrustAnchors from_records(const std::vector<wire::Record>& records);

    void add_negative(const wire::Name& domain) { negative_.push_back(domain); }
    // DS/DNSKEY anchor records for exactly `zone`, if it is an anchor point.
    const std::vector<wire::Record>* anchor_for(const wire::Name& zone) const;
    // The closest anchor point at or above `name`.
    std::optional<wire::Name> closest_anchor(const wire::Name& name) const;
    bool under_negative_anchor(const wire::Name& name) const;
    bool empty() const { return anchors_.empty(); }

  private:
    struct Point {
        wire::Name zone;
        std::vector<wire::Record> records;
    };
    std::vector<Point> anchors_;
    std::vector<wire::Name> negative_;
};

}  // namespace port53::dnssec
