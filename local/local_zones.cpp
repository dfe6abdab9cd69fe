#include "local/local_zones.hpp"

#include <stdexcept>

#include "local/zone_records.hpp"
#include "wire/types.hpp"

namespace port53::local {
using namespace wire;

namespace {

std::vector<Record> moved_to(std::vector<Record> records, const Name& owner) {
    for (auto& r : records) r.owner = owner;
    return records;
}

engine::Step local_step(engine::Step::Kind kind) {
    engine::Step s;
    s.kind = kind;
    s.authoritative = true;
    return s;
}

}  // namespace

Record made_up_soa(const Name& apex, uint32_t ttl) {
    std::string rdata(Name::from_text("localhost.")->wire());
    rdata += Name::from_text("nobody.invalid.")->wire();
    for (uint32_t v : {1u, 3600u, 1200u, 604800u, ttl}) {
        for (int shift = 24; shift >= 0; shift -= 8) rdata.push_back(static_cast<char>(v >> shift));
    }
    return Record{apex, type::SOA, cls::IN, ttl, std::move(rdata)};
}

std::optional<ZoneKind> zone_kind_from_text(std::string_view text) {
    if (text == "static") return ZoneKind::static_zone;
    if (text == "transparent") return ZoneKind::transparent;
    if (text == "redirect") return ZoneKind::redirect;
    if (text == "always_nodata") return ZoneKind::always_nodata;
    return std::nullopt;
}

void LocalZones::add_zone(const Name& apex, ZoneKind kind, std::optional<Record> soa) {
    Zone z;
    z.apex = apex;
    z.kind = kind;
    z.soa = soa ? *soa : made_up_soa(apex, 10800);
    z.names[apex.key()].push_back(z.soa);
    zones_[apex.key()] = std::move(z);
}

void LocalZones::remove_zone(const Name& apex) {
    zones_.erase(apex.key());
}

void LocalZones::add_record(const Record& r) {
    if (!zone_for(r.owner)) add_zone(r.owner, ZoneKind::transparent);
    Zone& z = zones_.at(zone_for(r.owner)->apex.key());
    auto& at = z.names[r.owner.key()];
    if (r.type == type::SOA && r.owner == z.apex) {
        z.soa = r;  // the operator's SOA replaces the made-up one
        std::erase_if(at, [](const Record& x) { return x.type == type::SOA; });
    }
    if (std::find(at.begin(), at.end(), r) == at.end()) at.push_back(r);
    // The names between the owner and the apex exist (empty non-terminals: NODATA there).
    for (Name n = r.owner.parent(); n.is_subdomain_of(z.apex) && !(n == z.apex); n = n.parent())
        z.names.try_emplace(n.key());
}

void LocalZones::add_zone_records(const std::vector<Record>& records, const std::string& source) {
    auto soa = std::find_if(records.begin(), records.end(),
                            [](const Record& r) { return r.type == type::SOA; });
    if (soa == records.end()) throw std::runtime_error(source + ": no SOA record");
    add_zone(soa->owner, ZoneKind::static_zone, *soa);
    for (const auto& r : records) {
        if (!r.owner.is_subdomain_of(soa->owner))
            throw std::runtime_error(source + ": " + r.owner.to_text() + " is outside " +
                                     soa->owner.to_text());
        add_record(r);
    }
    Zone& z = zones_.at(soa->owner.key());
    z.denial.build(z.names);
}

const LocalZones::Zone* LocalZones::zone_for(const Name& name) const {
    for (Name n = name;; n = n.parent()) {
        if (auto it = zones_.find(n.key()); it != zones_.end()) return &it->second;
        if (n.is_root()) return nullptr;
    }
}

std::optional<engine::Step> LocalZones::lookup(const Question& q) const {
    const Zone* z = zone_for(q.name);
    if (!z) return std::nullopt;
    // A delegation inside a zone file: the names below it are the child's, resolved as usual.
    // A cut's DS is the parent's (RFC 4035 §3.1.4.1): answered here.
    bool ds_above = q.type == type::DS && !(q.name == z->apex);
    for (Name n = ds_above ? q.name.parent() : q.name; !(n == z->apex); n = n.parent()) {
        auto it = z->names.find(n.key());
        if (it != z->names.end() && !rrset_of(it->second, type::NS).empty()) return std::nullopt;
    }
    if (z->kind == ZoneKind::redirect)
        return answer_at(*z, q.name, moved_to(z->names.at(z->apex.key()), q.name), q);
    if (auto it = z->names.find(q.name.key()); it != z->names.end())
        return answer_at(*z, q.name, it->second, q);
    // RFC 4592 §3.3.1: a wildcard at the closest encloser answers for names that do not exist.
    Name ce = q.name.parent();
    while (!z->names.contains(ce.key()) && !(ce == z->apex)) ce = ce.parent();
    if (auto wild = ce.wildcard()) {
        if (auto w = z->names.find(wild->key()); w != z->names.end())
            return answer_at(*z, q.name, moved_to(w->second, q.name), q, &ce);
    }
    if (z->kind == ZoneKind::transparent) return std::nullopt;
    if (z->kind == ZoneKind::always_nodata) return no_data_here(*z, q.name);
    engine::Step s = local_step(engine::Step::Kind::nxdomain);
    s.next = q.name;
    s.authority = rrset_of(z->names.at(z->apex.key()), type::SOA);
    for (auto& r : z->denial.nxdomain(q.name, ce)) s.authority.push_back(std::move(r));
    return s;
}

std::optional<engine::Step> LocalZones::answer_at(const Zone& z, const Name& qname,
                                                  const std::vector<Record>& at, const Question& q,
                                                  const Name* wildcard_ce) const {
    std::optional<engine::Step> s;
    if (auto rrset = rrset_of(at, q.type); !rrset.empty()) {
        s = local_step(engine::Step::Kind::answer);
        s->records = std::move(rrset);
    } else if (auto cname = rrset_of(at, type::CNAME); !cname.empty()) {
        auto target = rdata_target(type::CNAME, cname.front().rdata);
        if (!target) return std::nullopt;
        s = local_step(engine::Step::Kind::cname);
        s->next = *target;
        s->records = std::move(cname);
    } else {
        return no_data_here(z, qname, wildcard_ce);
    }
    // RFC 4035 §3.1.3.3: a wildcard answer shows that the name asked does not exist.
    if (wildcard_ce) s->authority = z.denial.wildcard_answer(qname, *wildcard_ce);
    return s;
}

engine::Step LocalZones::no_data_here(const Zone& z, const Name& qname, const Name* wildcard_ce) {
    engine::Step s = local_step(engine::Step::Kind::nodata);
    s.next = qname;
    s.authority = rrset_of(z.names.at(z.apex.key()), type::SOA);
    auto proof =
        wildcard_ce ? z.denial.wildcard_nodata(qname, *wildcard_ce) : z.denial.nodata(qname);
    for (auto& r : proof) s.authority.push_back(std::move(r));
    return s;
}

std::optional<Record> reverse_ptr(const Record& address) {
    static const char* const kHex = "0123456789abcdef";
    std::string text;
    if (address.type == type::A && address.rdata.size() == 4) {
        for (int i = 3; i >= 0; --i)
            text += std::to_string(static_cast<uint8_t>(address.rdata[i])) + ".";
        text += "in-addr.arpa.";
    } else if (address.type == type::AAAA && address.rdata.size() == 16) {
        for (int i = 15; i >= 0; --i) {  // RFC 3596 §2.5: nibbles, lowest first
            auto b = static_cast<uint8_t>(address.rdata[i]);
            text += {kHex[b & 0xF], '.', kHex[b >> 4], '.'};
        }
        text += "ip6.arpa.";
    } else {
        return std::nullopt;
    }
    return Record{*Name::from_text(text), type::PTR, address.cls, address.ttl,
                  std::string(address.owner.wire())};
}

}  // namespace port53::local
