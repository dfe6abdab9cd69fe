#include "dnssec/anchor_tracker.hpp"

#include <algorithm>

#include "dnssec/verify.hpp"
#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {
constexpr uint32_t kHour = 3600;
constexpr uint32_t kDay = 86'400;
constexpr uint8_t kRevokeBitInLowByte = 0x80;  // dnskey_flag::REVOKE, flags' second byte

constexpr std::pair<KeyState, std::string_view> kNames[] = {
    {KeyState::add_pend, "add-pending"}, {KeyState::valid, "valid"},
    {KeyState::missing, "missing"},      {KeyState::revoked, "revoked"},
    {KeyState::removed, "removed"},
};

std::vector<Record> dnskeys_of(const std::vector<Record>& answer, const Name& zone) {
    std::vector<Record> out;
    for (const auto& r : answer)
        if (r.type == type::DNSKEY && r.owner == zone) out.push_back(r);
    return out;
}

// Only key-signing keys (SEP bit) are anchors worth tracking, as Unbound does.
bool is_ksk(const Record& k) {
    auto v = DnskeyView::parse(k.rdata);
    return v && v->zone_key() && v->secure_entry_point();
}

bool is_revoked(const Record& k) {
    auto v = DnskeyView::parse(k.rdata);
    return v && v->revoked();
}

// True if the anchor records (DS or DNSKEY) name the key `k`.
bool named_by(const std::vector<Record>& anchors, const Name& zone, const Record& k) {
    for (const auto& a : anchors) {
        if (a.type == type::DNSKEY && a.rdata == k.rdata) return true;
        if (a.type == type::DS && ds_matches(zone, a.rdata, k.rdata)) return true;
    }
    return false;
}

bool elapsed(uint32_t since, uint32_t now, uint32_t span) {
    return now >= since && now - since >= span;
}
}  // namespace

std::string_view state_name(KeyState s) {
    for (const auto& [state, name] : kNames)
        if (state == s) return name;
    return "?";
}

std::optional<KeyState> state_from_name(std::string_view s) {
    for (const auto& [state, name] : kNames)
        if (name == s) return state;
    return std::nullopt;
}

std::string without_revoke_bit(std::string_view dnskey_rdata) {
    std::string out(dnskey_rdata);
    if (out.size() >= 2)
        out[1] = static_cast<char>(static_cast<uint8_t>(out[1]) & ~kRevokeBitInLowByte);
    return out;
}

std::string TrackedKey::published() const {
    std::string out = rdata;
    bool revoked = state == KeyState::revoked || state == KeyState::removed;
    if (revoked && out.size() >= 2)
        out[1] = static_cast<char>(static_cast<uint8_t>(out[1]) | kRevokeBitInLowByte);
    return out;
}

uint16_t TrackedKey::tag() const {
    return key_tag(published());
}

uint8_t TrackedKey::algorithm() const {
    auto v = DnskeyView::parse(rdata);
    return v ? v->algorithm() : 0;
}

AnchorTracker::AnchorTracker(Name zone, std::vector<Record> configured, HoldDowns holddowns)
    : zone_(std::move(zone)), configured_(std::move(configured)), holddowns_(holddowns) {}

TrackedKey* AnchorTracker::find(std::string_view identity) {
    for (auto& k : keys_)
        if (k.rdata == identity) return &k;
    return nullptr;
}

uint32_t AnchorTracker::refresh_interval(uint32_t original_ttl, uint32_t signatures_left,
                                         bool failed, const HoldDowns& h) {
    if (h.refresh) return h.refresh;
    if (failed) return std::max(kHour, std::min({kDay, original_ttl / 10, signatures_left / 10}));
    return std::max(kHour, std::min({15 * kDay, original_ttl / 2, signatures_left / 2}));
}

AnchorTracker::Observation AnchorTracker::observe(const std::vector<Record>& answer, uint32_t now,
                                                  const Limits& limits) {
    Observation out;
    std::vector<Record> dnskeys = dnskeys_of(answer, zone_);
    std::vector<Record> sigs = signatures_for(answer, zone_, type::DNSKEY);
    uint32_t ttl = 0, left = 0;
    for (const auto& s : sigs)
        if (auto info = parse_rrsig(s.rdata)) {
            ttl = std::max(ttl, info->original_ttl);
            if (info->expiration > now) left = std::max(left, info->expiration - now);
        }
    if (dnskeys.empty()) {
        out.why = "no DNSKEY RRset for " + zone_.to_text();
    } else {
        // §2.1: a key revoked by its own signature is dropped at once, before the set's
        // other signatures are looked at (it may no longer be used to check them).
        revocations(dnskeys, sigs, now, limits, out);
        Verdict v = trusted_signature(dnskeys, sigs, now, limits);
        out.accepted = v.is_secure();
        if (out.accepted)
            seen(dnskeys, now, out);
        else
            out.why = v.why;
    }
    if (tick(now)) out.changed = true;
    out.next_refresh = refresh_interval(ttl, left, !out.accepted, holddowns_);
    return out;
}

void AnchorTracker::revocations(const std::vector<Record>& dnskeys, const std::vector<Record>& sigs,
                                uint32_t now, const Limits& limits, Observation& out) {
    for (const auto& k : dnskeys) {
        if (!is_ksk(k) || !is_revoked(k)) continue;
        TrackedKey* t = find(without_revoke_bit(k.rdata));
        if (!t || t->state == KeyState::revoked || t->state == KeyState::removed) continue;
        Work work(limits);
        if (!verify_rrset(dnskeys, sigs, {k}, zone_, now, limits, work).is_secure()) continue;
        t->state = KeyState::revoked;
        t->since = now;
        out.changed = true;
    }
}

Verdict AnchorTracker::trusted_signature(const std::vector<Record>& dnskeys,
                                         const std::vector<Record>& sigs, uint32_t now,
                                         const Limits& limits) const {
    Work work(limits);
    // Nothing learned yet: the configured anchor (DS or DNSKEY) says which keys to trust.
    if (keys_.empty()) return verify_dnskeys(dnskeys, sigs, configured_, zone_, now, limits, work);
    std::vector<Record> trusted;
    for (const auto& k : dnskeys)
        for (const auto& t : keys_)
            if ((t.state == KeyState::valid || t.state == KeyState::missing) && k.rdata == t.rdata)
                trusted.push_back(k);
    if (trusted.empty())
        return Verdict::bogus(ede::dnskey_missing,
                              "no trusted key in the DNSKEY RRset of " + zone_.to_text());
    return verify_rrset(dnskeys, sigs, trusted, zone_, now, limits, work);
}

void AnchorTracker::seen(const std::vector<Record>& dnskeys, uint32_t now, Observation& out) {
    bool first = keys_.empty();
    std::vector<std::string> plain, revoked;  // identities of the KSKs published each way
    for (const auto& k : dnskeys) {
        if (!is_ksk(k)) continue;
        if (is_revoked(k)) {
            revoked.push_back(without_revoke_bit(k.rdata));
            continue;  // only its own signature can revoke it (revocations)
        }
        plain.push_back(k.rdata);
        TrackedKey* t = find(k.rdata);
        if (!t) {
            // §2.4.1: a new key waits out the add hold-down; at the first acceptance the
            // keys the configured anchor names are trusted as they stand.
            bool configured = first && named_by(configured_, zone_, k);
            keys_.push_back({k.rdata, configured ? KeyState::valid : KeyState::add_pend, now});
            out.changed = true;
            continue;
        }
        bool promote = (t->state == KeyState::add_pend && elapsed(t->since, now, holddowns_.add)) ||
                       t->state == KeyState::missing;
        if (promote) {
            t->state = KeyState::valid;
            t->since = now;
            out.changed = true;
        }
    }
    auto in = [](const std::vector<std::string>& list, const TrackedKey& t) {
        return std::find(list.begin(), list.end(), t.rdata) != list.end();
    };
    for (auto& t : keys_)
        if (t.state == KeyState::valid && !in(plain, t)) {
            t.state = KeyState::missing;  // still an anchor (§4), until keep_missing
            t.since = now;
            out.changed = true;
        }
    // A pending key withdrawn before its hold-down (AddPend → Start), and a removed key no
    // longer published in either form, are forgotten.
    auto forget = [&](const TrackedKey& t) {
        return (t.state == KeyState::add_pend && !in(plain, t)) ||
               (t.state == KeyState::removed && !in(plain, t) && !in(revoked, t));
    };
    auto before = keys_.size();
    keys_.erase(std::remove_if(keys_.begin(), keys_.end(), forget), keys_.end());
    if (keys_.size() != before) out.changed = true;
}

bool AnchorTracker::tick(uint32_t now) {
    bool changed = false;
    for (auto& t : keys_) {
        bool remove = (t.state == KeyState::revoked && elapsed(t.since, now, holddowns_.remove)) ||
                      (t.state == KeyState::missing && holddowns_.keep_missing &&
                       elapsed(t.since, now, holddowns_.keep_missing));
        if (!remove) continue;
        t.state = KeyState::removed;
        t.since = now;
        changed = true;
    }
    return changed;
}

std::vector<Record> AnchorTracker::anchors() const {
    if (keys_.empty()) return configured_;
    std::vector<Record> out;
    for (const auto& t : keys_)
        if (t.state == KeyState::valid || t.state == KeyState::missing)
            out.push_back(Record{zone_, type::DNSKEY, cls::IN, 0, t.rdata});
    return out;
}

std::optional<uint32_t> AnchorTracker::next_change(const TrackedKey& k) const {
    switch (k.state) {
        case KeyState::add_pend:
            return k.since + holddowns_.add;  // at the first refresh from then on
        case KeyState::revoked:
            return k.since + holddowns_.remove;
        case KeyState::missing:
            if (holddowns_.keep_missing) return k.since + holddowns_.keep_missing;
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

}  // namespace port53::dnssec
