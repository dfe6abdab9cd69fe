// A small authoritative server for one zone (signed or not), answering like NSD would:
// RFC 1034 §4.3.2 lookup (answers, CNAME, DNAME, wildcards, referrals with glue) plus the
// RFC 4035 §3.1 / RFC 5155 §7.2 DNSSEC additions when the query set DO.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wire/message.hpp"
#include "zone_signer.hpp"

namespace port53::replay {

class Authority {
  public:
    // `records` is the whole zone, with its RRSIGs and denial chain if it is signed.
    Authority(wire::Name apex, std::vector<wire::Record> records);

    const wire::Name& apex() const { return apex_; }
    // A response (ID 0, no OPT) to one question; `dnssec_ok` is the query's DO bit.
    wire::Message answer(const wire::Question& q, bool dnssec_ok) const;

  private:
    struct Node {
        wire::Name name;
        std::map<uint16_t, std::vector<wire::Record>> sets;
        std::map<uint16_t, std::vector<wire::Record>> sigs;  // by type covered
        const std::vector<wire::Record>* get(uint16_t t) const;
    };
    struct Lookup;  // one answer being assembled

    const Node* node(const wire::Name& n) const;
    bool exists(const wire::Name& n) const;  // data or an empty non-terminal
    wire::Name closest_encloser(const wire::Name& n) const;
    void add_set(std::vector<wire::Record>& out, const Node& n, uint16_t t, bool dnssec_ok,
                 const std::optional<wire::Name>& owner = std::nullopt) const;
    void resolve(Lookup& l) const;
    void referral(Lookup& l, const Node& cut) const;
    void add_glue(Lookup& l, const Node& cut) const;
    void negative(Lookup& l, const wire::Name& name, bool nxdomain,
                  const std::optional<wire::Name>& wildcard) const;
    void answer_wildcard(Lookup& l, const Node& wild) const;
    // Denial records (with their RRSIGs), RFC 4035 §3.1.3 and RFC 5155 §7.2.
    void add_nsec_matching(Lookup& l, const wire::Name& n) const;
    void add_nsec_covering(Lookup& l, const wire::Name& n) const;
    void add_nsec3_matching(Lookup& l, const wire::Name& n) const;
    void add_nsec3_covering(Lookup& l, const wire::Name& n) const;
    void add_closest_encloser_proof(Lookup& l, const wire::Name& n) const;
    void add_denial_record(Lookup& l, const wire::Record& r) const;

    wire::Name apex_;
    std::map<std::string, Node> nodes_;                             // by lower-cased wire name
    std::map<std::string, wire::Name> ents_;                        // empty non-terminals
    std::vector<wire::Record> nsec_;                                // canonical order
    std::vector<std::pair<std::string, wire::Record>> nsec3_;       // by raw hash
    std::map<std::string, std::vector<wire::Record>> denial_sigs_;  // owner key → RRSIGs
    std::optional<Nsec3Params> nsec3_params_;
};

}  // namespace port53::replay
