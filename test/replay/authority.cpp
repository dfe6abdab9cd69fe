#include "authority.hpp"

#include <algorithm>
#include <set>

#include "wire/types.hpp"

namespace port53::replay {
using namespace wire;

namespace {

constexpr uint16_t kNsec3Param = 51;
constexpr int kMaxChain = 8;  // CNAME/DNAME links followed inside one zone

uint16_t covered_type(const Record& rrsig) {
    return rrsig.rdata.size() >= 2 ? load16(reinterpret_cast<const uint8_t*>(rrsig.rdata.data()))
                                   : 0;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
    return out;
}

Name wildcard_of(const Name& ce) {
    return Name::from_wire(std::string("\x01*", 2) + std::string(ce.wire())).value();
}

}  // namespace

struct Authority::Lookup {
    Name qname;
    uint16_t qtype;
    bool dnssec_ok;
    Message msg;
    std::set<std::pair<std::string, uint16_t>> denial_added;
    int chain = 0;
};

const std::vector<Record>* Authority::Node::get(uint16_t t) const {
    auto it = sets.find(t);
    return it == sets.end() || it->second.empty() ? nullptr : &it->second;
}

Authority::Authority(Name apex, std::vector<Record> records) : apex_(std::move(apex)) {
    for (auto& r : records) {
        if (r.type == type::NSEC3) {
            nsec3_.emplace_back(lower(r.owner.first_label()), r);
            continue;
        }
        if (r.type == type::RRSIG && (covered_type(r) == type::NSEC3)) {
            denial_sigs_[r.owner.key()].push_back(r);
            continue;
        }
        if (r.type == type::RRSIG && covered_type(r) == type::NSEC)
            denial_sigs_[r.owner.key()].push_back(r);
        if (r.type == type::NSEC) nsec_.push_back(r);
        if (r.type == kNsec3Param && r.owner == apex_ && r.rdata.size() >= 5) {
            Nsec3Params p;
            p.iterations = load16(reinterpret_cast<const uint8_t*>(r.rdata.data() + 2));
            p.salt = r.rdata.substr(5, static_cast<uint8_t>(r.rdata[4]));
            nsec3_params_ = p;
        }
        Node& n = nodes_[r.owner.key()];
        n.name = r.owner;
        if (r.type == type::RRSIG) n.sigs[covered_type(r)].push_back(r);
        n.sets[r.type].push_back(std::move(r));
    }
    for (const auto& [key, n] : nodes_)
        for (Name up = n.name.parent(); !(up == apex_) && up.is_subdomain_of(apex_);
             up = up.parent())
            if (!nodes_.contains(up.key())) ents_.try_emplace(up.key(), up);
    std::sort(nsec_.begin(), nsec_.end(),
              [](const Record& a, const Record& b) { return canonical_less(a.owner, b.owner); });
    std::sort(nsec3_.begin(), nsec3_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
}

const Authority::Node* Authority::node(const Name& n) const {
    auto it = nodes_.find(n.key());
    return it == nodes_.end() ? nullptr : &it->second;
}

bool Authority::exists(const Name& n) const {
    return nodes_.contains(n.key()) || ents_.contains(n.key());
}

Name Authority::closest_encloser(const Name& n) const {
    Name up = n;
    while (!(up == apex_) && !exists(up)) up = up.parent();
    return up;
}

void Authority::add_set(std::vector<Record>& out, const Node& n, uint16_t t, bool dnssec_ok,
                        const std::optional<Name>& owner) const {
    auto emit = [&](const Record& r) {
        Record copy = r;
        if (owner) copy.owner = *owner;  // wildcard expansion (RFC 4592 §3.3.1)
        out.push_back(std::move(copy));
    };
    if (const auto* set = n.get(t))
        for (const auto& r : *set) emit(r);
    if (!dnssec_ok || t == type::RRSIG) return;
    if (auto it = n.sigs.find(t); it != n.sigs.end())
        for (const auto& r : it->second) emit(r);
}

Message Authority::answer(const Question& q, bool dnssec_ok) const {
    Lookup l{q.name, q.type, dnssec_ok, {}, {}, 0};
    l.msg.questions.push_back(q);
    if (!q.name.is_subdomain_of(apex_)) {
        l.msg.flags = rcode::REFUSED;  // not our zone: lame for this question
        return l.msg;
    }
    l.msg.flags = flag::AA;
    resolve(l);
    return l.msg;
}

void Authority::resolve(Lookup& l) const {
    for (;;) {
        const Name cur = l.qname;
        bool restart = false;
        // RFC 1034 §4.3.2 step 3: walk down from the apex, stopping at a cut or a DNAME.
        for (std::size_t labels = apex_.label_count() + 1; labels <= cur.label_count(); ++labels) {
            Name n = cur.suffix(labels);
            const Node* nd = node(n);
            if (!nd) continue;
            if (nd->get(type::NS)) {
                // DS lives on the parent side of the cut (RFC 4035 §3.1.4.1).
                if (n == cur && l.qtype == type::DS) break;
                return referral(l, *nd);
            }
            const auto* dname = nd->get(type::DNAME);
            if (!dname || n == cur) continue;
            // RFC 6672 §3.1: the DNAME, then a CNAME synthesised with the DNAME's TTL.
            add_set(l.msg.answer, *nd, type::DNAME, l.dnssec_ok);
            auto target = rdata_target(type::DNAME, dname->front().rdata);
            auto synth = target ? cur.replace_suffix(n, *target) : std::nullopt;
            if (!synth) {
                l.msg.flags = static_cast<uint16_t>((l.msg.flags & ~0xF) | 6);  // YXDOMAIN
                return;
            }
            l.msg.answer.push_back(
                Record{cur, type::CNAME, cls::IN, dname->front().ttl, std::string(synth->wire())});
            if (!synth->is_subdomain_of(apex_) || ++l.chain > kMaxChain) return;
            l.qname = *synth;
            restart = true;
            break;
        }
        if (restart) continue;
        if (exists(cur)) {
            const Node* nd = node(cur);
            if (nd && nd->get(l.qtype)) {
                add_set(l.msg.answer, *nd, l.qtype, l.dnssec_ok);
                // As NSD does: an NS answer brings the servers' addresses (RFC 1034 §4.3.2
                // step 6; what a priming answer carries, RFC 8109 §3.3).
                if (l.qtype == type::NS) add_glue(l, *nd);
                return;
            }
            const auto* cname = nd ? nd->get(type::CNAME) : nullptr;
            if (!cname || l.qtype == type::CNAME) return negative(l, cur, false, std::nullopt);
            add_set(l.msg.answer, *nd, type::CNAME, l.dnssec_ok);
            auto target = rdata_target(type::CNAME, cname->front().rdata);
            if (!target || !target->is_subdomain_of(apex_) || ++l.chain > kMaxChain) return;
            l.qname = *target;
            continue;
        }
        Name wild = wildcard_of(closest_encloser(cur));
        if (const Node* w = node(wild)) {
            Name before = l.qname;
            answer_wildcard(l, *w);
            if (l.qname == before) return;
            continue;  // a wildcard CNAME into this zone
        }
        return negative(l, cur, true, wild);
    }
}

void Authority::referral(Lookup& l, const Node& cut) const {
    if (l.msg.answer.empty()) l.msg.flags &= static_cast<uint16_t>(~flag::AA);
    add_set(l.msg.authority, cut, type::NS, false);
    if (l.dnssec_ok) {
        // RFC 4035 §3.1.4: the DS with its RRSIG, or the proof that there is none.
        if (cut.get(type::DS)) {
            add_set(l.msg.authority, cut, type::DS, true);
        } else if (!nsec_.empty()) {
            add_nsec_matching(l, cut.name);
        } else if (nsec3_params_) {
            std::size_t before = l.denial_added.size();
            add_nsec3_matching(l, cut.name);
            if (l.denial_added.size() == before) add_closest_encloser_proof(l, cut.name);
        }
    }
    add_glue(l, cut);
}

void Authority::add_glue(Lookup& l, const Node& cut) const {
    // Addresses of every NS name this zone holds data for: below the cut, in a sibling
    // zone's glue, or authoritative names of this zone.
    for (const auto& ns : *cut.get(type::NS)) {
        auto target = rdata_target(type::NS, ns.rdata);
        if (!target || !target->is_subdomain_of(apex_)) continue;
        if (const Node* n = node(*target))
            for (uint16_t t : {type::A, type::AAAA}) add_set(l.msg.additional, *n, t, false);
    }
}

void Authority::answer_wildcard(Lookup& l, const Node& wild) const {
    const Name cur = l.qname;
    Name ce = wild.name.parent();
    Name next_closer = cur.suffix(ce.label_count() + 1);
    // RFC 4035 §3.1.3.3 / RFC 5155 §7.2.6: prove no closer match exists.
    auto prove_no_closer = [&] {
        if (!l.dnssec_ok) return;
        if (!nsec_.empty()) add_nsec_covering(l, cur);
        if (nsec3_params_) add_nsec3_covering(l, next_closer);
    };
    if (wild.get(l.qtype)) {
        add_set(l.msg.answer, wild, l.qtype, l.dnssec_ok, cur);
        return prove_no_closer();
    }
    if (const auto* cname = wild.get(type::CNAME); cname && l.qtype != type::CNAME) {
        add_set(l.msg.answer, wild, type::CNAME, l.dnssec_ok, cur);
        prove_no_closer();
        auto target = rdata_target(type::CNAME, cname->front().rdata);
        if (target && target->is_subdomain_of(apex_) && ++l.chain <= kMaxChain) l.qname = *target;
        return;
    }
    // Wildcard NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5).
    negative(l, wild.name, false, std::nullopt);
    if (!l.dnssec_ok) return;
    if (!nsec_.empty()) add_nsec_covering(l, cur);
    if (nsec3_params_) add_nsec3_covering(l, next_closer);
    if (nsec3_params_) add_nsec3_matching(l, ce);
}

void Authority::negative(Lookup& l, const Name& name, bool nxdomain,
                         const std::optional<Name>& wildcard) const {
    l.msg.flags =
        static_cast<uint16_t>((l.msg.flags & ~0xF) | (nxdomain ? rcode::NXDOMAIN : rcode::NOERROR));
    if (const Node* apex = node(apex_)) add_set(l.msg.authority, *apex, type::SOA, l.dnssec_ok);
    if (!l.dnssec_ok) return;
    if (!nsec_.empty()) {
        if (nxdomain) {
            add_nsec_covering(l, name);  // RFC 4035 §3.1.3.2
            add_nsec_covering(l, *wildcard);
        } else if (node(name)) {
            add_nsec_matching(l, name);  // RFC 4035 §3.1.3.1
        } else {
            add_nsec_covering(l, name);  // an empty non-terminal
        }
    } else if (nsec3_params_) {
        if (nxdomain) {
            add_closest_encloser_proof(l, name);  // RFC 5155 §7.2.2
            add_nsec3_covering(l, *wildcard);
            return;
        }
        std::size_t before = l.denial_added.size();
        add_nsec3_matching(l, name);  // RFC 5155 §7.2.3
        if (l.denial_added.size() == before) add_closest_encloser_proof(l, name);  // §7.2.4
    }
}

void Authority::add_denial_record(Lookup& l, const Record& r) const {
    if (!l.denial_added.emplace(r.owner.key(), r.type).second) return;
    l.msg.authority.push_back(r);
    if (auto it = denial_sigs_.find(r.owner.key()); it != denial_sigs_.end())
        for (const auto& sig : it->second)
            if (covered_type(sig) == r.type) l.msg.authority.push_back(sig);
}

void Authority::add_nsec_matching(Lookup& l, const Name& n) const {
    for (const auto& r : nsec_)
        if (r.owner == n) return add_denial_record(l, r);
}

void Authority::add_nsec_covering(Lookup& l, const Name& n) const {
    if (nsec_.empty()) return;
    const Record* best = &nsec_.back();  // wraps around past the last name
    for (const auto& r : nsec_)
        if (canonical_less(r.owner, n)) best = &r;
    add_denial_record(l, *best);
}

void Authority::add_nsec3_matching(Lookup& l, const Name& n) const {
    std::string h = lower(nsec3_owner(nsec3_hash(n, *nsec3_params_), apex_).first_label());
    for (const auto& [key, r] : nsec3_)
        if (key == h) return add_denial_record(l, r);
}

void Authority::add_nsec3_covering(Lookup& l, const Name& n) const {
    if (nsec3_.empty()) return;
    std::string h = lower(nsec3_owner(nsec3_hash(n, *nsec3_params_), apex_).first_label());
    const Record* best = &nsec3_.back().second;  // the last hash covers the wrap-around
    for (const auto& [key, r] : nsec3_)
        if (key < h) best = &r;
    add_denial_record(l, *best);
}

void Authority::add_closest_encloser_proof(Lookup& l, const Name& n) const {
    // RFC 5155 §7.2.1: the NSEC3 matching the closest provable encloser, and the one
    // covering the next closer name.
    auto matches = [&](const Name& x) {
        std::string h = lower(nsec3_owner(nsec3_hash(x, *nsec3_params_), apex_).first_label());
        return std::any_of(nsec3_.begin(), nsec3_.end(),
                           [&](const auto& e) { return e.first == h; });
    };
    Name ce = n.parent();
    while (!(ce == apex_) && !matches(ce)) ce = ce.parent();
    add_nsec3_matching(l, ce);
    add_nsec3_covering(l, n.suffix(ce.label_count() + 1));
}

}  // namespace port53::replay
