// A zone held here, answering as its authoritative servers would (RFC 1034 §4.3.2), for the
// engine when it asks a zone whose copy it holds (engine/zone_copies.hpp; RFC 8806 for the
// root zone). The engine then treats the message as it treats any server's: it follows the
// referrals and validates the signatures, so the copy is trusted no more than the servers.
#include "local/local_zones.hpp"
#include "local/zone_records.hpp"
#include "wire/types.hpp"

namespace port53::local {
using namespace wire;

namespace {

void append(std::vector<Record>& to, std::vector<Record> from) {
    for (auto& r : from) to.push_back(std::move(r));
}

}  // namespace

const std::vector<Record>* LocalZones::cut_above(const Zone& z, const Question& q,
                                                 Name& cut) const {
    // Walking up from the name, the last cut met is the highest: the zone's own delegation.
    // A cut's DS is the parent's (RFC 4035 §3.1.4.1), so for DS the name itself is no cut.
    const std::vector<Record>* found = nullptr;
    bool ds_above = q.type == type::DS && !(q.name == z.apex);
    for (Name n = ds_above ? q.name.parent() : q.name; !(n == z.apex); n = n.parent()) {
        auto it = z.names.find(n.key());
        if (it == z.names.end() || rrset_of(it->second, type::NS).empty()) continue;
        found = &it->second;
        cut = n;
    }
    return found;
}

void LocalZones::add_addresses(std::vector<Record>& out, const Zone& z,
                               const std::vector<Record>& ns) {
    for (const auto& r : ns) {
        if (r.type != type::NS) continue;
        auto target = rdata_target(type::NS, r.rdata);
        if (!target || !target->is_subdomain_of(z.apex)) continue;
        auto it = z.names.find(target->key());
        if (it == z.names.end()) continue;
        append(out, rrset_of(it->second, type::A));
        append(out, rrset_of(it->second, type::AAAA));
    }
}

// RFC 4035 §3.1.4: a referral carries the child's DS set and its RRSIG, or in a signed zone
// the NSEC/NSEC3 proof that there is none; glue goes in the additional section.
void LocalZones::add_referral(Message& m, const Zone& z, const Name& cut,
                              const std::vector<Record>& at) const {
    m.authority = rrset_of(at, type::NS);
    if (auto ds = rrset_of(at, type::DS); !ds.empty())
        append(m.authority, std::move(ds));
    else
        append(m.authority, z.denial.nodata(cut));
    add_addresses(m.additional, z, m.authority);
}

std::optional<Message> LocalZones::respond(const Question& q) const {
    const Zone* z = zone_for(q.name);
    if (!z || z->kind != ZoneKind::static_zone) return std::nullopt;
    Message m;
    m.flags = flag::QR;
    m.questions.push_back(q);
    Name cut;
    if (const auto* at = cut_above(*z, q, cut)) {
        add_referral(m, *z, cut, *at);  // not authoritative: no AA
        return m;
    }
    std::optional<engine::Step> step = lookup(q);
    if (!step || step->kind == engine::Step::Kind::servfail) return std::nullopt;
    m.flags |= flag::AA;
    if (step->kind == engine::Step::Kind::nxdomain) m.flags |= rcode::NXDOMAIN;
    m.answer = std::move(step->records);
    m.authority = std::move(step->authority);
    add_addresses(m.additional, *z, m.answer);  // the apex's NS set: its servers' addresses
    return m;
}

}  // namespace port53::local
