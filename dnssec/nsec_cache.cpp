#include "dnssec/nsec_cache.hpp"

#include <algorithm>

#include "dnssec/denial.hpp"
#include "dnssec/verify.hpp"
#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {

// An NSEC or NSEC3 record of a zone cut (NS without SOA) or a DNAME: names below its owner
// are another zone's, or redirected, so its ranges say nothing about them.
bool cut_or_dname(const Record& r) {
    return (nsec_has_type(r, type::NS) && !nsec_has_type(r, type::SOA)) ||
           nsec_has_type(r, type::DNAME);
}

// The zone that signed `rr`: the signer of its first RRSIG, which must enclose the owner.
std::optional<Name> signer_of(const std::vector<Record>& sigs, const Record& rr) {
    for (const auto& s : sigs)
        if (auto info = parse_rrsig(s.rdata); info && rr.owner.is_subdomain_of(info->signer))
            return info->signer;
    return std::nullopt;
}

// RFC 2308 §5: min(SOA TTL, SOA MINIMUM).
uint32_t negative_ttl(const Record& soa) {
    auto v = SoaView::parse(soa.rdata);
    return v ? std::min(soa.ttl, v->minimum()) : 0;
}

void append_aged(std::vector<Record>& out, const std::vector<Record>& records, uint32_t left) {
    for (Record r : records) {
        r.ttl = std::min(r.ttl, left);
        out.push_back(std::move(r));
    }
}

}  // namespace

bool NsecCache::CanonicalLess::operator()(const Name& a, const Name& b) const {
    return canonical_compare(a, b) < 0;
}

void NsecCache::put(const std::vector<Record>& records, uint32_t now) {
    std::lock_guard lock(mutex_);
    for (const auto& r : records) {
        if (r.type != type::NSEC && r.type != type::NSEC3 && r.type != type::SOA) continue;
        auto sigs = signatures_for(records, r.owner, r.type);
        auto zone = signer_of(sigs, r);
        if (!zone) continue;
        // An SOA is only its own zone's apex; an NSEC3 sits right below it (RFC 5155 §7.1).
        if ((r.type == type::SOA && !(r.owner == *zone)) ||
            (r.type == type::NSEC3 && !(r.owner.parent() == *zone)))
            continue;
        // An NSEC's range must stay inside its zone (the last one wraps to the apex).
        if (r.type == type::NSEC) {
            auto nsec = NsecView::parse(r.rdata);
            if (!nsec || !nsec->next().is_subdomain_of(*zone)) continue;
        }
        insert(*zone, r, sigs, now);
    }
}

void NsecCache::insert(const Name& zone, const Record& rr, const std::vector<Record>& sigs,
                       uint32_t now) {
    if (entries_ >= max_) drop_expired(now);
    if (entries_ >= max_) return;  // full of live ranges: they still work; add none
    Zone& z = zones_[zone.key()];
    // RFC 2308 §5 / RFC 9077: a denial lives no longer than the SOA's negative TTL.
    uint32_t ttl = rr.type == type::SOA ? negative_ttl(rr) : rr.ttl;
    Entry e{{rr}, now + ttl};
    e.records.insert(e.records.end(), sigs.begin(), sigs.end());
    if (rr.type == type::SOA) {
        z.soa = std::move(e);
        return;
    }
    if (rr.type == type::NSEC3) {
        entries_ += insert_nsec3(z, rr, e) ? 1 : 0;
        return;
    }
    auto [it, added] = z.nsecs.insert_or_assign(rr.owner, std::move(e));
    entries_ += added ? 1 : 0;
}

bool NsecCache::insert_nsec3(Zone& z, const Record& rr, Entry& e) {
    auto rd = Nsec3View::parse(rr.rdata);
    // SHA-1 only (RFC 5155 §11); opt-out ranges prove nothing about unsigned delegations.
    if (!rd || rd->hash_algorithm() != nsec3_hash_algorithm::SHA1 || rd->opt_out()) return false;
    std::string salt(rd->salt());
    uint16_t iterations = rd->iterations();
    auto hash = nsec3_owner_hash(rr);
    if (!hash) return false;
    // One parameter set per zone (RFC 5155 §7.1); after a change, start over with the new.
    if (z.nsec3s.empty() || z.salt != salt || z.iterations != iterations) {
        entries_ -= z.nsec3s.size();
        z.nsec3s.clear();
        z.salt = salt;
        z.iterations = iterations;
    }
    auto [it, added] = z.nsec3s.insert_or_assign(*hash, std::move(e));
    return added;
}

void NsecCache::drop_expired(uint32_t now) {
    for (auto z = zones_.begin(); z != zones_.end();) {
        auto expired = [&](const auto& kv) { return kv.second.expires <= now; };
        entries_ -= std::erase_if(z->second.nsecs, expired);
        entries_ -= std::erase_if(z->second.nsec3s, expired);
        bool empty = z->second.nsecs.empty() && z->second.nsec3s.empty();
        z = empty ? zones_.erase(z) : std::next(z);
    }
}

const NsecCache::Entry* NsecCache::at_or_before(const Zone& zone, const Name& name,
                                                uint32_t now) const {
    auto it = zone.nsecs.upper_bound(name);
    if (it == zone.nsecs.begin()) return nullptr;
    --it;
    return it->second.expires > now ? &it->second : nullptr;
}

const NsecCache::Entry* NsecCache::nsec3_at_or_before(const Zone& zone, const std::string& hash,
                                                      uint32_t now) const {
    if (zone.nsec3s.empty()) return nullptr;
    auto it = zone.nsec3s.upper_bound(hash);
    // Below the first owner hash: the last record's range wraps round to cover it.
    it = it == zone.nsec3s.begin() ? std::prev(zone.nsec3s.end()) : std::prev(it);
    return it->second.expires > now ? &it->second : nullptr;
}

bool NsecCache::nsec_candidates(const Zone& zone, const Name& zname, const Name& name, uint32_t now,
                                std::vector<const Entry*>& used) const {
    const Entry* at = at_or_before(zone, name, now);
    if (!at) return false;
    const Record& nsec = at->records.front();
    // A range starting at a cut or DNAME above the name says nothing about names below it
    // (they live in another zone, or are redirected).
    if (!(nsec.owner == name) && name.is_subdomain_of(nsec.owner) && cut_or_dname(nsec))
        return false;
    used.push_back(at);
    // Candidates for the wildcard denial: the range at or before "*.A" for each ancestor A.
    for (Name a = name.parent(); a.is_subdomain_of(zname); a = a.parent()) {
        const Entry* w = at_or_before(zone, a.wildcard().value(), now);  // a: a proper ancestor
        if (w && std::find(used.begin(), used.end(), w) == used.end()) used.push_back(w);
        if (a == zname) break;
    }
    return true;
}

bool NsecCache::nsec3_candidates(const Zone& zone, const Name& zname, const Name& name,
                                 uint32_t now, const Limits& limits,
                                 std::vector<const Entry*>& used) const {
    if (zone.nsec3s.empty() || zone.iterations > limits.nsec3_max_iterations) return false;
    Work work(limits);
    auto add = [&](const Name& n, bool ancestor) {
        auto h = nsec3_hash(n, zone.salt, zone.iterations, work);
        const Entry* e = h ? nsec3_at_or_before(zone, *h, now) : nullptr;
        if (!e) return false;
        // A matching NSEC3 of a cut or DNAME above the name: the name is not in this zone.
        const Record& r = e->records.front();
        if (ancestor && nsec3_owner_hash(r) == h && cut_or_dname(r)) return false;
        if (std::find(used.begin(), used.end(), e) == used.end()) used.push_back(e);
        return true;
    };
    // The records for the closest encloser proof (RFC 5155 §8.3-8.7): each ancestor A and
    // "*.A", matched or covered, from the name up to the zone.
    for (Name a = name;; a = a.parent()) {
        bool ancestor = !(a == name);
        if (!add(a, ancestor)) return false;
        if (ancestor && !add(a.wildcard().value(), false)) return false;  // fits: a is shorter
        if (a == zname || a.is_root()) break;
    }
    return true;
}

std::optional<NsecCache::Denial> NsecCache::lookup(const Question& q, uint32_t now,
                                                   const Limits& limits) {
    std::lock_guard lock(mutex_);
    // The deepest cached zone holding the name; DS belongs to the parent's side.
    Name zname = q.type == type::DS && !q.name.is_root() ? q.name.parent() : q.name;
    auto z = zones_.end();
    for (;; zname = zname.parent()) {
        z = zones_.find(zname.key());
        if (z != zones_.end() || zname.is_root()) break;
    }
    if (z == zones_.end()) return std::nullopt;
    const Zone& zone = z->second;
    std::vector<const Entry*> used;
    bool nsec = !zone.nsecs.empty();
    if (nsec ? !nsec_candidates(zone, zname, q.name, now, used)
             : !nsec3_candidates(zone, zname, q.name, now, limits, used))
        return nsec ? std::nullopt : nsec3_wildcard_answer(zone, zname, q, now, limits);
    std::vector<Record> proof;
    // A denial needs the zone's SOA (RFC 8198 §5.1); a wildcard answer does not.
    bool with_soa = zone.soa.expires > now;
    uint32_t left = with_soa ? zone.soa.expires - now : 0;
    for (const Entry* e : used) {
        left = std::min(left, e->expires - now);
        proof.insert(proof.end(), e->records.begin(), e->records.end());
    }
    Work work(limits);
    Denial d;
    if (with_soa && prove_nodata(q, proof, zname, limits, work) == Proof::proven) {
        d.kind = Denial::Kind::nodata;
    } else if (with_soa && prove_nxdomain(q.name, proof, zname, limits, work) == Proof::proven) {
        d.kind = Denial::Kind::nxdomain;
    } else if (nsec) {
        return wildcard_answer(zone, zname, q, *used.front(), now, limits);
    } else {
        return nsec3_wildcard_answer(zone, zname, q, now, limits);
    }
    d.ttl = left;
    append_aged(d.authority, zone.soa.records, left);
    append_aged(d.authority, proof, left);
    return d;
}

std::optional<NsecCache::Denial> NsecCache::wildcard_answer(const Zone& zone, const Name& zname,
                                                            const Question& q, const Entry& cover,
                                                            uint32_t now,
                                                            const Limits& limits) const {
    const Record& nsec = cover.records.front();
    if (nsec.owner == q.name || q.type == type::DS) return std::nullopt;
    Name ce = nsec_closest_encloser(nsec, q.name);
    if (!ce.is_subdomain_of(zname)) return std::nullopt;
    Name wild = ce.wildcard().value();  // ce: a proper ancestor of the covered name
    const Entry* w = at_or_before(zone, wild, now);
    // The wildcard must exist (its own NSEC) and hold the type; then the covering NSEC
    // shows the name itself does not exist (RFC 4035 §5.3.4).
    if (!w || !(w->records.front().owner == wild) || !nsec_has_type(w->records.front(), q.type))
        return std::nullopt;
    Work work(limits);
    auto labels = static_cast<uint8_t>(ce.label_count());
    if (prove_wildcard_expansion(q.name, labels, cover.records, zname, limits, work) !=
        Proof::proven)
        return std::nullopt;
    Denial d;
    d.kind = Denial::Kind::wildcard;
    d.wildcard = wild;
    d.zone = zname;
    d.ttl = std::min(cover.expires, w->expires) - now;
    append_aged(d.authority, cover.records, d.ttl);
    return d;
}

// RFC 8198 §5.3 with NSEC3: a wildcard answer proves its closest encloser CE by the
// wildcard's own signature (RRSIG labels), so what a cached range must add is that the next
// closer name, CE's child on the way to the name, does not exist (RFC 5155 §8.8). Tried
// from the zone's apex down: the first level whose child is covered is the closest
// encloser, since every ancestor above it exists and no sound range covers an existing
// name. Whether "*.CE" exists with the type is the caller's to check (its validated RRset,
// cached by engine/aggressive). Opt-out ranges are never kept, so none is used here.
std::optional<NsecCache::Denial> NsecCache::nsec3_wildcard_answer(const Zone& zone,
                                                                  const Name& zname,
                                                                  const Question& q, uint32_t now,
                                                                  const Limits& limits) const {
    if (q.type == type::DS || zone.nsec3s.empty() ||
        zone.iterations > limits.nsec3_max_iterations || !q.name.is_subdomain_of(zname) ||
        q.name == zname)
        return std::nullopt;
    std::vector<Name> levels;  // the name's proper ancestors down from the zone's apex
    for (Name a = q.name.parent();; a = a.parent()) {
        levels.insert(levels.begin(), a);
        if (a == zname || a.is_root()) break;
    }
    Work work(limits);
    for (const Name& ce : levels) {
        // Never past a cut or DNAME: below it the names are another zone's, or redirected.
        auto hce = nsec3_hash(ce, zone.salt, zone.iterations, work);
        const Entry* at = hce ? nsec3_at_or_before(zone, *hce, now) : nullptr;
        if (at && !(ce == zname) && nsec3_owner_hash(at->records.front()) == hce &&
            cut_or_dname(at->records.front()))
            return std::nullopt;
        auto labels = static_cast<uint8_t>(ce.label_count());
        Name next_closer = q.name.suffix(labels + 1);
        auto h = nsec3_hash(next_closer, zone.salt, zone.iterations, work);
        const Entry* cover = h ? nsec3_at_or_before(zone, *h, now) : nullptr;
        if (!cover) return std::nullopt;
        if (prove_wildcard_expansion(q.name, labels, cover->records, zname, limits, work) !=
            Proof::proven)
            continue;
        Denial d;
        d.kind = Denial::Kind::wildcard;
        d.wildcard = ce.wildcard().value();  // ce: a proper ancestor of the name
        d.zone = zname;
        d.ttl = cover->expires - now;
        append_aged(d.authority, cover->records, d.ttl);
        return d;
    }
    return std::nullopt;
}

std::size_t NsecCache::entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
}

void NsecCache::clear() {
    std::lock_guard lock(mutex_);
    zones_.clear();
    entries_ = 0;
}

}  // namespace port53::dnssec
