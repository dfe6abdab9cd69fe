// The NSEC or NSEC3 chain of a signed zone served here (a zone file, or a secondary's
// copy), indexed so that negative and wildcard answers carry their proofs, as an
// authoritative server gives them (RFC 4035 §3.1.3, RFC 5155 §7.2): a validating client
// behind port53 can check them, and so can port53's own validator.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::local {

class DenialChain {
  public:
    // From a zone's records by lower-cased owner; empty when the zone has no chain.
    void build(const std::map<std::string, std::vector<wire::Record>>& names);
    bool empty() const { return nsec_.empty() && nsec3_.empty(); }

    // The records (NSEC or NSEC3 with their RRSIGs) that prove, for `qname` in the zone:
    // it exists without the type asked (NODATA);
    std::vector<wire::Record> nodata(const wire::Name& qname) const;
    // it does not exist, nor a wildcard at its closest encloser `ce` (NXDOMAIN);
    std::vector<wire::Record> nxdomain(const wire::Name& qname, const wire::Name& ce) const;
    // it does not exist, so *.ce answered for it (a wildcard answer);
    std::vector<wire::Record> wildcard_answer(const wire::Name& qname, const wire::Name& ce) const;
    // the same, and *.ce has no data of the type asked (wildcard NODATA).
    std::vector<wire::Record> wildcard_nodata(const wire::Name& qname, const wire::Name& ce) const;

  private:
    // One NSEC (keyed by owner, canonical order) or NSEC3 (keyed by hash): the records at
    // its owner, from which the NSEC(3) RRset and its RRSIGs are taken.
    struct Link {
        wire::Name owner;
        std::string hash;  // NSEC3 only
        const std::vector<wire::Record>* at;
    };
    enum class Want { matching, covering };
    void add(std::vector<wire::Record>& out, const wire::Name& name, Want want) const;
    const Link* nsec_for(const wire::Name& name, Want want) const;
    const Link* nsec3_for(const wire::Name& name, Want want) const;
    // The name one label longer than `ce` on the way to `qname` (RFC 5155 §1.3).
    static wire::Name next_closer(const wire::Name& qname, const wire::Name& ce);

    std::vector<Link> nsec_, nsec3_;  // sorted
    std::string salt_;
    uint16_t iterations_ = 0;
};

}  // namespace port53::local
