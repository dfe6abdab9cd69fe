// Response Policy Zones (draft-vixie-dnsop-dns-rpz), the format BIND, Unbound and Knot
// Resolver read and many feeds publish: a zone whose owner names, with the zone's own origin
// stripped, are the names to act on ("ads.example.rpz.local. CNAME ." with origin rpz.local.
// acts on ads.example.), "*.name" for the names below name but not name itself. The record
// says what to do: CNAME . (NXDOMAIN), CNAME *. (NODATA), CNAME rpz-passthru. (allow),
// CNAME rpz-drop. (here NXDOMAIN too), or data to answer with (A, AAAA, a CNAME elsewhere...).
// Only QNAME triggers are applied; rpz-ip, rpz-nsdname, rpz-client-ip and rpz-nsip ones are
// counted and skipped. Triggers are kept as the blocklists keep names, as sorted 64-bit
// hashes (with one action byte each); only triggers with data keep their records.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wire/message.hpp"
#include "wire/name.hpp"

namespace port53::filter {

class Blocklist;

enum class RpzAction : uint8_t { nxdomain, nodata, drop, local };

// What one RPZ file held.
struct RpzStats {
    std::size_t triggers = 0;     // QNAME triggers kept (actions and local data owners)
    std::size_t passthru = 0;     // PASSTHRU rules, handed to the allowlist
    std::size_t unsupported = 0;  // other trigger kinds, rpz-tcp-only, "*.target" rewrites
};

// Data a trigger answers with; the owner is the name asked, not the trigger.
struct RpzData {
    uint16_t type;
    uint32_t ttl;
    std::string rdata;
};

class RpzZone {
  public:
    // `label` names it in logs and statistics (its file).
    explicit RpzZone(std::string label) : label_(std::move(label)) {}

    // Reads the zone from a file (or zone text). PASSTHRU rules go to `allow`, where they win
    // over every list's blocks. Throws std::runtime_error("file:line: what") for a syntax
    // error, an unreadable file, or a trigger before the zone's SOA (the SOA gives the origin).
    RpzStats load_file(const std::string& path, Blocklist& allow);
    RpzStats load_text(const std::string& text, Blocklist& allow);
    // Sorts the triggers; call once after loading, before matching.
    void seal();

    struct Hit {
        RpzAction action;
        const std::vector<RpzData>* data;  // local: the trigger's records
    };
    // The exact trigger for `name`, else the longest "*." trigger above it.
    std::optional<Hit> match(const wire::Name& name) const;

    const std::string& label() const { return label_; }
    std::size_t triggers() const { return exact_.size() + below_.size(); }
    std::size_t bytes() const;

  private:
    struct Reader;
    void add(const wire::Name& trigger, bool below, RpzAction action);
    std::optional<RpzAction> found(const std::vector<uint64_t>& keys,
                                   const std::vector<RpzAction>& actions, uint64_t key) const;
    std::optional<Hit> with_data(RpzAction action, std::string_view trigger_wire) const;

    std::string label_;
    std::vector<std::pair<uint64_t, RpzAction>> pending_exact_, pending_below_;  // until seal
    std::vector<uint64_t> exact_, below_;                   // sorted trigger hashes
    std::vector<RpzAction> exact_actions_, below_actions_;  // parallel to them
    // Keyed by the hash of the trigger as written ("*.name" apart from "name").
    std::unordered_map<uint64_t, std::vector<RpzData>> data_;
};

}  // namespace port53::filter
