#include "local/denial_chain.hpp"

#include <algorithm>

#include "dnssec/denial.hpp"
#include "wire/types.hpp"

namespace port53::local {
using namespace wire;

namespace {

// The predecessor of `key` in a sorted chain, wrapping round from the first to the last
// (the last link covers everything after it and before the first).
template <typename Less>
std::size_t covering_index(std::size_t n, Less less_than_key) {
    std::size_t lo = 0, hi = n;  // first index whose key is not less than the wanted one
    while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        if (less_than_key(mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? n - 1 : lo - 1;
}

}  // namespace

void DenialChain::build(const std::map<std::string, std::vector<Record>>& names) {
    nsec_.clear();
    nsec3_.clear();
    for (const auto& [key, at] : names) {
        for (const auto& r : at) {
            if (r.type == type::NSEC) {
                nsec_.push_back({r.owner, {}, &at});
                break;
            }
            if (r.type != type::NSEC3 || r.rdata.size() < 5) continue;
            auto hash = dnssec::nsec3_owner_hash(r);
            if (!hash) break;
            if (nsec3_.empty()) {  // RFC 5155 §3.2: every NSEC3 of a chain shares these
                iterations_ = static_cast<uint16_t>(static_cast<uint8_t>(r.rdata[2]) << 8 |
                                                    static_cast<uint8_t>(r.rdata[3]));
                salt_ = r.rdata.substr(5, static_cast<uint8_t>(r.rdata[4]));
            }
            nsec3_.push_back({r.owner, *hash, &at});
            break;
        }
    }
    std::sort(nsec_.begin(), nsec_.end(), [](const Link& a, const Link& b) {
        return dnssec::canonical_compare(a.owner, b.owner) < 0;
    });
    std::sort(nsec3_.begin(), nsec3_.end(),
              [](const Link& a, const Link& b) { return a.hash < b.hash; });
}

const DenialChain::Link* DenialChain::nsec_for(const Name& name, Want want) const {
    if (nsec_.empty()) return nullptr;
    std::size_t i = covering_index(nsec_.size(), [&](std::size_t k) {
        return dnssec::canonical_compare(nsec_[k].owner, name) <= 0;
    });
    // Now nsec_[i] is the last link at or before `name`.
    bool match = nsec_[i].owner == name;
    return want == Want::matching && !match ? nullptr : &nsec_[i];
}

const DenialChain::Link* DenialChain::nsec3_for(const Name& name, Want want) const {
    if (nsec3_.empty()) return nullptr;
    dnssec::Limits limits;
    dnssec::Work work(limits);
    auto hash = dnssec::nsec3_hash(name, salt_, iterations_, work);
    if (!hash) return nullptr;
    std::size_t i =
        covering_index(nsec3_.size(), [&](std::size_t k) { return nsec3_[k].hash <= *hash; });
    bool match = nsec3_[i].hash == *hash;
    if (want == Want::matching) return match ? &nsec3_[i] : nullptr;
    return match ? nullptr : &nsec3_[i];  // a hash that matches covers nothing
}

void DenialChain::add(std::vector<Record>& out, const Name& name, Want want) const {
    bool nsec3 = !nsec3_.empty();
    const Link* link = nsec3 ? nsec3_for(name, want) : nsec_for(name, want);
    if (!link) return;
    uint16_t t = nsec3 ? type::NSEC3 : type::NSEC;
    for (const auto& r : *link->at) {
        bool signature =
            r.type == type::RRSIG && r.rdata.size() >= 2 &&
            (static_cast<uint8_t>(r.rdata[0]) << 8 | static_cast<uint8_t>(r.rdata[1])) == t;
        if ((r.type == t || signature) && std::find(out.begin(), out.end(), r) == out.end())
            out.push_back(r);
    }
}

Name DenialChain::next_closer(const Name& qname, const Name& ce) {
    Name n = qname;
    while (n.label_count() > ce.label_count() + 1) n = n.parent();
    return n;
}

std::vector<Record> DenialChain::nodata(const Name& qname) const {
    std::vector<Record> out;
    // NSEC: the name's own, or for an empty non-terminal (which has none) the one whose span
    // holds it, its next name below it (RFC 4035 §3.1.3.2); NSEC3 chains have one for both.
    add(out, qname, nsec3_.empty() ? Want::covering : Want::matching);
    return out;
}

std::vector<Record> DenialChain::nxdomain(const Name& qname, const Name& ce) const {
    std::vector<Record> out;
    auto wild = ce.wildcard();
    if (nsec3_.empty()) {
        add(out, qname, Want::covering);
        if (wild) add(out, *wild, Want::covering);
        return out;
    }
    add(out, ce, Want::matching);  // the closest encloser proof, RFC 5155 §7.2.1
    add(out, next_closer(qname, ce), Want::covering);
    if (wild) add(out, *wild, Want::covering);
    return out;
}

std::vector<Record> DenialChain::wildcard_answer(const Name& qname, const Name& ce) const {
    std::vector<Record> out;
    add(out, nsec3_.empty() ? qname : next_closer(qname, ce), Want::covering);
    return out;
}

std::vector<Record> DenialChain::wildcard_nodata(const Name& qname, const Name& ce) const {
    std::vector<Record> out;
    auto wild = ce.wildcard();
    if (!nsec3_.empty()) add(out, ce, Want::matching);
    add(out, nsec3_.empty() ? qname : next_closer(qname, ce), Want::covering);
    if (wild) add(out, *wild, Want::matching);
    return out;
}

}  // namespace port53::local
