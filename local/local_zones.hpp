// Names this resolver answers itself, without asking anyone: the special-use names that must
// never leave the network (RFC 6761, RFC 6303), the operator's single records, and whole
// zones from zone files. Answers are authoritative (AA) with the zone's SOA in negative
// answers, as Unbound's local-zone and AdGuard Home's rewrites give them.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/types.hpp"
#include "local/denial_chain.hpp"
#include "wire/message.hpp"

namespace port53::local {

// How a zone answers a name it holds no data for (Unbound's local-zone types).
enum class ZoneKind {
    static_zone,    // NXDOMAIN or NODATA: nothing else exists here
    transparent,    // resolve it as usual; only the names with data are answered here
    redirect,       // every name below answers with the apex's data (RFC 6761 §6.3 localhost)
    always_nodata,  // as static, but a name it lacks is NODATA too (RFC 9462 §4 resolver.arpa.)
};
std::optional<ZoneKind> zone_kind_from_text(std::string_view text);

// An SOA for names answered here without one of their own, as Unbound makes it:
// "localhost. nobody.invalid. 1 3600 1200 604800 TTL", so negative answers are cached for
// `ttl` seconds (RFC 2308 §5: the SOA's MINIMUM and its own TTL, whichever is less).
wire::Record made_up_soa(const wire::Name& apex, uint32_t ttl);

class LocalZones {
  public:
    // Replaces any zone at `apex`; without an SOA, one like Unbound's is made up.
    void add_zone(const wire::Name& apex, ZoneKind kind, std::optional<wire::Record> soa = {});
    // A record in the zone that holds its owner; outside every zone it gets a transparent zone
    // of its own (as Unbound's local-data does), so other names there still resolve.
    void add_record(const wire::Record& r);
    // A whole zone file (SOA at its apex): a static zone with every record in it.
    // Throws std::runtime_error("file: what") if it has no SOA or data outside its apex.
    void add_zone_records(const std::vector<wire::Record>& records, const std::string& source);
    void remove_zone(const wire::Name& apex);
    bool empty() const { return zones_.empty(); }
    // Whether a zone here holds `name` (a reload forgets cached answers for such names).
    bool covers(const wire::Name& name) const { return zone_for(name) != nullptr; }
    std::size_t zones() const { return zones_.size(); }

    // The answer for `q`, or nothing if no zone covers it (or a transparent one has no data).
    std::optional<engine::Step> lookup(const wire::Question& q) const;
    // The response the zone's authoritative servers would give to `q` (authority_response.cpp),
    // referrals included, for the engine asking a zone held here (engine/zone_copies.hpp);
    // nothing if no static zone holds `q`.
    std::optional<wire::Message> respond(const wire::Question& q) const;

  private:
    struct Zone {
        wire::Name apex;
        ZoneKind kind = ZoneKind::static_zone;
        wire::Record soa;
        // Records by lower-cased owner; empty non-terminals are present with no records.
        std::map<std::string, std::vector<wire::Record>> names;
        DenialChain denial;  // a signed zone's NSEC/NSEC3 chain, for the proofs
    };
    const Zone* zone_for(const wire::Name& name) const;
    // `wildcard_ce`: the closest encloser whose wildcard answers for `qname`, if one does.
    std::optional<engine::Step> answer_at(const Zone& z, const wire::Name& qname,
                                          const std::vector<wire::Record>& at,
                                          const wire::Question& q,
                                          const wire::Name* wildcard_ce = nullptr) const;
    // The highest delegation in `z` on the way from its apex to `q`'s name, if any.
    const std::vector<wire::Record>* cut_above(const Zone& z, const wire::Question& q,
                                               wire::Name& cut) const;
    void add_referral(wire::Message& m, const Zone& z, const wire::Name& cut,
                      const std::vector<wire::Record>& at) const;
    // Addresses (A, AAAA) the zone holds for the NS targets in `ns`, into `out`.
    static void add_addresses(std::vector<wire::Record>& out, const Zone& z,
                              const std::vector<wire::Record>& ns);
    static engine::Step no_data_here(const Zone& z, const wire::Name& qname,
                                     const wire::Name* wildcard_ce = nullptr);

    std::map<std::string, Zone> zones_;  // by lower-cased apex
};

// The PTR record that names an A or AAAA record's owner at its address's reverse name
// (in-addr.arpa., ip6.arpa.), with the same TTL; nothing for other types.
std::optional<wire::Record> reverse_ptr(const wire::Record& address);

}  // namespace port53::local
