// Automated updates of a zone's trust anchors (RFC 5011): the state of each key-signing key
// of the anchored zone, moved by what each refresh of its DNSKEY RRset shows and by the
// hold-down timers. Pure: the caller fetches, keeps the time (Unix seconds) and stores the
// state (daemon/trust_anchor_upkeep.hpp); anchor_state.cpp reads and writes it as text.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dnssec/verdict.hpp"
#include "wire/message.hpp"

namespace port53::dnssec {

// RFC 5011 §4. Start is not kept: a key seen for the first time is AddPend at once, and
// one that vanishes while pending is forgotten (AddPend → Start).
enum class KeyState : uint8_t { add_pend, valid, missing, revoked, removed };
std::string_view state_name(KeyState s);
std::optional<KeyState> state_from_name(std::string_view s);

// The timers, as Unbound names them (add-holddown, del-holddown, keep-missing), in seconds;
// configurable so a lab can roll a key in seconds.
struct HoldDowns {
    uint32_t add = 30 * 86'400;            // RFC 5011 §2.4.1: AddPend → Valid
    uint32_t remove = 30 * 86'400;         // §2.4.2, §4: Revoked → Removed
    uint32_t keep_missing = 366 * 86'400;  // Missing → Removed; 0 keeps missing keys forever
    uint32_t refresh = 0;  // seconds between refreshes; 0: the §2.3 active refresh timer
};

struct TrackedKey {
    std::string rdata;  // the DNSKEY rdata with the REVOKE bit clear: the key's identity
    KeyState state = KeyState::add_pend;
    uint32_t since = 0;  // when it entered `state` (AddPend: when first seen)
    // The key as published now (with the REVOKE bit once revoked).
    std::string published() const;
    uint16_t tag() const;  // of the published form
    uint8_t algorithm() const;
};

class AnchorTracker {
  public:
    // `configured`: the DS or DNSKEY anchor records of `zone` that hold until a DNSKEY RRset
    // has been accepted once (and in the state file ever after).
    AnchorTracker(wire::Name zone, std::vector<wire::Record> configured, HoldDowns holddowns);

    struct Observation {
        bool accepted = false;      // signed by a trusted key: the states moved
        bool changed = false;       // some key changed state (or was learned or forgotten)
        std::string why;            // when not accepted
        uint32_t next_refresh = 0;  // seconds until the next refresh (§2.3)
    };
    // One refresh: `answer` holds the zone's DNSKEY RRset and its RRSIGs, fetched at `now`.
    // `answer` empty (the fetch failed) schedules a retry.
    Observation observe(const std::vector<wire::Record>& answer, uint32_t now,
                        const Limits& limits);
    // Timers that need no fetch (Revoked → Removed, Missing → Removed); true on a change.
    bool tick(uint32_t now);

    // The trust anchors now: the DNSKEY records of Valid and Missing keys (§4), or the
    // configured records while nothing was learned. Empty if every key was revoked.
    std::vector<wire::Record> anchors() const;
    // When `k` changes state next on its own (hold-down over), if a timer runs for it.
    std::optional<uint32_t> next_change(const TrackedKey& k) const;
    const std::vector<TrackedKey>& keys() const { return keys_; }
    const wire::Name& zone() const { return zone_; }
    // A state restored from the file (anchor_state.hpp).
    void restore(std::vector<TrackedKey> keys) { keys_ = std::move(keys); }

    // RFC 5011 §2.3: after a good refresh, half the original TTL or half the time the
    // signatures have left, at most 15 days, at least an hour; after a failure a tenth, at
    // most a day, at least an hour. HoldDowns::refresh, when set, replaces both.
    static uint32_t refresh_interval(uint32_t original_ttl, uint32_t signatures_left, bool failed,
                                     const HoldDowns& h);

  private:
    void revocations(const std::vector<wire::Record>& dnskeys,
                     const std::vector<wire::Record>& sigs, uint32_t now, const Limits& limits,
                     Observation& out);
    Verdict trusted_signature(const std::vector<wire::Record>& dnskeys,
                              const std::vector<wire::Record>& sigs, uint32_t now,
                              const Limits& limits) const;
    void seen(const std::vector<wire::Record>& dnskeys, uint32_t now, Observation& out);
    TrackedKey* find(std::string_view identity);

    wire::Name zone_;
    std::vector<wire::Record> configured_;
    HoldDowns holddowns_;
    std::vector<TrackedKey> keys_;
};

// The key identity of DNSKEY rdata: the same rdata with the REVOKE bit clear.
std::string without_revoke_bit(std::string_view dnskey_rdata);

}  // namespace port53::dnssec
