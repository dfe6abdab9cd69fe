#include "dnssec/denial.hpp"

#include <ldns/util.h>
#include <openssl/evp.h>

#include <algorithm>

#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {

std::vector<std::string_view> labels_of(const Name& n) {
    std::vector<std::string_view> out;
    std::string_view w = n.wire();
    for (std::size_t pos = 0; w[pos] != 0; pos += 1 + static_cast<uint8_t>(w[pos]))
        out.push_back(w.substr(pos + 1, static_cast<uint8_t>(w[pos])));
    return out;
}

int compare_label(std::string_view a, std::string_view b) {
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        int x = ascii_lower(static_cast<uint8_t>(a[i])),
            y = ascii_lower(static_cast<uint8_t>(b[i]));
        if (x != y) return x - y;
    }
    return static_cast<int>(a.size()) - static_cast<int>(b.size());
}

// Owner < name < next in canonical order, the last record wrapping round to the apex.
bool covers(const Name& owner, const Name& next, const Name& name) {
    int lo = canonical_compare(owner, name), hi = canonical_compare(name, next);
    if (canonical_compare(owner, next) < 0) return lo < 0 && hi < 0;
    return lo < 0 || hi < 0;  // last NSEC in the zone: next is the apex
}

std::optional<Name> nsec_next(const Record& nsec) {
    auto v = NsecView::parse(nsec.rdata);
    return v ? std::optional(v->next()) : std::nullopt;
}

TypeBitmap bitmap_of(const Record& r) {
    if (r.type == type::NSEC) {
        auto v = NsecView::parse(r.rdata);
        return v ? v->types() : TypeBitmap{};
    }
    auto v = Nsec3View::parse(r.rdata);
    return v ? v->types() : TypeBitmap{};
}

// The longest ancestor of `name` that is also an ancestor of (or equal to) `other`.
Name common_ancestor(const Name& name, const Name& other) {
    Name n = name;
    while (!other.is_subdomain_of(n)) n = n.parent();
    return n;
}

// A closest encloser is a proper ancestor of the name it encloses, so "*.<ce>" is no longer
// than that name and always a valid one.
Name wildcard_at(const Name& ce) {
    return ce.wildcard().value();
}

// ---- NSEC ----

std::vector<Record> nsecs_of(const std::vector<Record>& rs, const Name& zone, uint16_t t) {
    std::vector<Record> out;
    for (const auto& r : rs)
        if (r.type == t && r.owner.is_subdomain_of(zone)) out.push_back(r);
    return out;
}

const Record* nsec_matching(const std::vector<Record>& nsecs, const Name& name) {
    for (const auto& r : nsecs)
        if (r.owner == name) return &r;
    return nullptr;
}

const Record* nsec_covering(const std::vector<Record>& nsecs, const Name& name) {
    for (const auto& r : nsecs)
        if (auto next = nsec_next(r); next && covers(r.owner, *next, name)) return &r;
    return nullptr;
}

// Names below this owner are not in the zone that signed the record: a delegation (NS
// without SOA) or a DNAME (RFC 6840 §4.1: such a record proves nothing beneath it).
bool cuts_below(const Record& nsec_or_nsec3) {
    return (nsec_has_type(nsec_or_nsec3, type::NS) && !nsec_has_type(nsec_or_nsec3, type::SOA)) ||
           nsec_has_type(nsec_or_nsec3, type::DNAME);
}

// An NSEC covering `name` that is usable as proof: not one starting at a cut above it.
const Record* usable_cover(const std::vector<Record>& nsecs, const Name& name) {
    const Record* c = nsec_covering(nsecs, name);
    if (c && !(c->owner == name) && name.is_subdomain_of(c->owner) && cuts_below(*c))
        return nullptr;
    return c;
}

bool nsec_denies_type(const Record& nsec, uint16_t qtype) {
    if (nsec_has_type(nsec, qtype) || nsec_has_type(nsec, type::CNAME)) return false;
    // A parent-side NSEC at a delegation (NS, no SOA) speaks only for DS (RFC 4035 §5.4).
    bool delegation = nsec_has_type(nsec, type::NS) && !nsec_has_type(nsec, type::SOA);
    // For DS, an NSEC with SOA comes from the child's apex, not the parent that owns DS;
    // the root has no parent and denies its own DS (RFC 4035 §5.4, §3.1.4.1).
    if (qtype == type::DS) return nsec.owner.is_root() || !nsec_has_type(nsec, type::SOA);
    return !delegation;
}

// ---- NSEC3 ----

struct Nsec3 {
    const Record* rr;
    std::string owner_hash;  // decoded from the owner's first label
    Nsec3View rdata;         // of *rr
};

// RFC 5155 §3.3: the owner's first label is the hash in base32hex (RFC 4648 §7), unpadded.
// ldns decodes it; it skips white space, stops at '=' or NUL and reads past a group of
// fewer than 8 characters, so only whole groups of the alphabet reach it (a SHA-1 hash is
// 32 characters; anything else is no hash of ours).
std::optional<std::string> base32hex_decode(std::string_view s) {
    constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUV";
    if (s.size() % 8 != 0 || s.find_first_not_of(kAlphabet) != std::string_view::npos)
        return std::nullopt;
    std::string out(ldns_b32_pton_calculate_size(s.size()), '\0');
    int n = ldns_b32_pton_extended_hex(s.data(), s.size(), reinterpret_cast<uint8_t*>(out.data()),
                                       out.size());
    if (n != static_cast<int>(out.size())) return std::nullopt;
    return out;
}

std::vector<Nsec3> nsec3s_of(const std::vector<Record>& rs, const Name& zone) {
    std::vector<Nsec3> out;
    for (const auto& r : rs) {
        if (r.type != type::NSEC3 || !(r.owner.parent() == zone)) continue;
        auto rd = Nsec3View::parse(r.rdata);
        // SHA-1 is the only hash defined (RFC 5155 §11).
        if (!rd || rd->hash_algorithm() != nsec3_hash_algorithm::SHA1) continue;
        auto owner_hash = base32hex_decode(r.owner.first_label());
        if (!owner_hash) continue;
        out.push_back(Nsec3{&r, *owner_hash, *rd});
    }
    return out;
}

class Nsec3Prover {
  public:
    Nsec3Prover(std::vector<Nsec3> set, const Limits& l, Work& w)
        : set_(std::move(set)), limits_(l), work_(w) {}

    bool usable() const { return !set_.empty(); }
    bool too_expensive() const {
        return std::any_of(set_.begin(), set_.end(), [&](const Nsec3& n) {
            return n.rdata.iterations() > limits_.nsec3_max_iterations;
        });
    }
    const Nsec3* matching(const Name& name) {
        auto h = hash(name);
        if (!h) return nullptr;
        for (const auto& n : set_)
            if (n.owner_hash == *h) return &n;
        return nullptr;
    }
    const Nsec3* covering(const Name& name) {
        auto h = hash(name);
        if (!h) return nullptr;
        for (const auto& n : set_) {
            std::string_view next = n.rdata.next_hashed_owner();
            bool wraps = next <= n.owner_hash;
            bool in = wraps ? (*h > n.owner_hash || *h < next) : (*h > n.owner_hash && *h < next);
            if (in) return &n;
        }
        return nullptr;
    }
    // RFC 5155 §8.3: the closest provable encloser of `name` and the record covering the
    // next closer name. nullopt if no proof.
    struct Encloser {
        Name closest;
        const Nsec3* next_closer_cover;
    };
    std::optional<Encloser> closest_encloser(const Name& name, const Name& zone) {
        Name next_closer = name;
        for (Name candidate = name; candidate.is_subdomain_of(zone);
             candidate = candidate.parent()) {
            if (const Nsec3* m = matching(candidate)) {
                if (candidate == name) return std::nullopt;   // the name exists
                if (cuts_below(*m->rr)) return std::nullopt;  // the name is below a cut
                const Nsec3* cover = covering(next_closer);
                if (!cover) return std::nullopt;
                return Encloser{candidate, cover};
            }
            next_closer = candidate;
            if (candidate.is_root()) break;
        }
        return std::nullopt;
    }

  private:
    // Each name is hashed once per response: the hash budget counts distinct names.
    std::optional<std::string> hash(const Name& name) {
        std::string key = name.key();
        for (const auto& [k, h] : memo_)
            if (k == key) return h;
        const Nsec3& p = set_.front();
        auto h = nsec3_hash(name, p.rdata.salt(), p.rdata.iterations(), work_);
        if (h) memo_.emplace_back(std::move(key), *h);
        return h;
    }
    std::vector<Nsec3> set_;
    std::vector<std::pair<std::string, std::string>> memo_;
    const Limits& limits_;
    Work& work_;
};

}  // namespace

std::optional<std::string> nsec3_owner_hash(const Record& nsec3) {
    return base32hex_decode(nsec3.owner.first_label());
}

Name nsec_closest_encloser(const Record& covering, const Name& name) {
    Name a = common_ancestor(name, covering.owner);
    auto next = nsec_next(covering);
    Name b = next ? common_ancestor(name, *next) : a;
    return a.label_count() >= b.label_count() ? a : b;
}

int canonical_compare(const Name& a, const Name& b) {
    auto la = labels_of(a), lb = labels_of(b);
    auto ia = la.rbegin(), ib = lb.rbegin();
    for (; ia != la.rend() && ib != lb.rend(); ++ia, ++ib)
        if (int c = compare_label(*ia, *ib)) return c;
    return static_cast<int>(la.size()) - static_cast<int>(lb.size());
}

std::optional<std::string> nsec3_hash(const Name& name, std::string_view salt, uint16_t iterations,
                                      Work& work) {
    if (--work.nsec3_hashes_left < 0) return std::nullopt;
    std::string data = name.key();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    for (uint32_t i = 0; i <= iterations; ++i) {
        data += salt;
        EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
        data.assign(reinterpret_cast<char*>(md), len);
    }
    return data;
}

bool nsec_has_type(const Record& r, uint16_t t) {
    return bitmap_of(r).has(t);
}

Proof prove_nxdomain(const Name& qname, const std::vector<Record>& records, const Name& zone,
                     const Limits& limits, Work& work) {
    auto nsecs = nsecs_of(records, zone, type::NSEC);
    if (!nsecs.empty()) {
        const Record* cover = usable_cover(nsecs, qname);
        if (!cover) return Proof::failed;
        Name ce = nsec_closest_encloser(*cover, qname);
        Name wild = wildcard_at(ce);
        return nsec_covering(nsecs, wild) && !nsec_matching(nsecs, wild) ? Proof::proven
                                                                         : Proof::failed;
    }
    Nsec3Prover p(nsec3s_of(records, zone), limits, work);
    if (!p.usable()) return Proof::failed;
    if (p.too_expensive()) return Proof::too_expensive;
    auto ce = p.closest_encloser(qname, zone);
    if (!ce) return Proof::failed;
    if (!p.covering(wildcard_at(ce->closest))) return Proof::failed;
    return ce->next_closer_cover->rdata.opt_out() ? Proof::opt_out : Proof::proven;
}

Proof prove_nodata(const Question& q, const std::vector<Record>& records, const Name& zone,
                   const Limits& limits, Work& work) {
    auto nsecs = nsecs_of(records, zone, type::NSEC);
    if (!nsecs.empty()) {
        if (const Record* m = nsec_matching(nsecs, q.name))
            return nsec_denies_type(*m, q.type) ? Proof::proven : Proof::failed;
        // Empty non-terminal: an NSEC whose span holds the name and whose next name is below it.
        if (const Record* c = usable_cover(nsecs, q.name))
            if (auto next = nsec_next(*c); next && next->is_subdomain_of(q.name))
                return Proof::proven;
        // Wildcard NODATA: the name covered, the wildcard at the closest encloser lacks the type.
        if (const Record* c = usable_cover(nsecs, q.name)) {
            const Record* w = nsec_matching(nsecs, wildcard_at(nsec_closest_encloser(*c, q.name)));
            if (w && nsec_denies_type(*w, q.type)) return Proof::proven;
        }
        return Proof::failed;
    }
    Nsec3Prover p(nsec3s_of(records, zone), limits, work);
    if (!p.usable()) return Proof::failed;
    if (p.too_expensive()) return Proof::too_expensive;
    if (const Nsec3* m = p.matching(q.name)) {
        if (nsec_has_type(*m->rr, q.type) || nsec_has_type(*m->rr, type::CNAME))
            return Proof::failed;
        if (q.type == type::DS && !q.name.is_root() && nsec_has_type(*m->rr, type::SOA))
            return Proof::failed;
        // A parent-side NSEC3 at a delegation speaks only for DS (RFC 4035 §5.4, as NSEC).
        if (q.type != type::DS && nsec_has_type(*m->rr, type::NS) &&
            !nsec_has_type(*m->rr, type::SOA))
            return Proof::failed;
        return Proof::proven;
    }
    auto ce = p.closest_encloser(q.name, zone);
    if (!ce) return Proof::failed;
    // RFC 5155 §8.6: no DS at an opt-out delegation.
    if (q.type == type::DS && ce->next_closer_cover->rdata.opt_out()) return Proof::opt_out;
    if (const Nsec3* w = p.matching(wildcard_at(ce->closest)))  // §8.7 wildcard NODATA
        if (!nsec_has_type(*w->rr, q.type) && !nsec_has_type(*w->rr, type::CNAME))
            return Proof::proven;
    return Proof::failed;
}

Proof prove_wildcard_expansion(const Name& qname, uint8_t labels,
                               const std::vector<Record>& records, const Name& zone,
                               const Limits& limits, Work& work) {
    if (labels >= qname.label_count()) return Proof::failed;
    auto nsecs = nsecs_of(records, zone, type::NSEC);
    if (!nsecs.empty()) return usable_cover(nsecs, qname) ? Proof::proven : Proof::failed;
    Nsec3Prover p(nsec3s_of(records, zone), limits, work);
    if (!p.usable()) return Proof::failed;
    if (p.too_expensive()) return Proof::too_expensive;
    const Nsec3* cover = p.covering(qname.suffix(labels + 1u));  // the next closer name
    if (!cover) return Proof::failed;
    return cover->rdata.opt_out() ? Proof::opt_out : Proof::proven;
}

Proof prove_insecure_delegation(const Name& child, const std::vector<Record>& records,
                                const Name& parent, const Limits& limits, Work& work) {
    // RFC 4035 §5.2 / RFC 5155 §8.9: the parent's record for the child itself shows NS,
    // and neither DS nor SOA (an SOA would be the child's own apex answering instead).
    auto delegation_without_ds = [](const Record& r) {
        return nsec_has_type(r, type::NS) && !nsec_has_type(r, type::DS) &&
               !nsec_has_type(r, type::SOA);
    };
    auto nsecs = nsecs_of(records, parent, type::NSEC);
    if (!nsecs.empty()) {
        const Record* m = nsec_matching(nsecs, child);
        return m && delegation_without_ds(*m) ? Proof::proven : Proof::failed;
    }
    Nsec3Prover p(nsec3s_of(records, parent), limits, work);
    if (!p.usable()) return Proof::failed;
    if (p.too_expensive()) return Proof::too_expensive;
    if (const Nsec3* m = p.matching(child))
        return delegation_without_ds(*m->rr) ? Proof::proven : Proof::failed;
    // Opt-out (RFC 5155 §6): an unsigned delegation may hide in an opt-out span.
    auto ce = p.closest_encloser(child, parent);
    return ce && ce->next_closer_cover->rdata.opt_out() ? Proof::opt_out : Proof::failed;
}

}  // namespace port53::dnssec
