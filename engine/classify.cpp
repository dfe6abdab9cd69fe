#include "engine/classify.hpp"

#include "wire/types.hpp"

namespace port53::engine {
using namespace wire;

namespace {

bool answers_question(const Record& r, const Question& q, const Name& zone) {
    if (!r.owner.is_subdomain_of(zone)) return false;
    if (r.type == type::DNAME) return q.name.is_subdomain_of(r.owner) && !(q.name == r.owner);
    return r.owner == q.name && (r.type == q.type || r.type == type::CNAME || q.type == type::ANY);
}

}  // namespace

std::optional<Name> referral_zone(const Message& msg, const Name& qname, const Name& zone) {
    for (const auto& r : msg.authority) {
        if (r.type != type::NS) continue;
        // Only a delegation strictly below the zone we asked, and above the question, counts.
        if (r.owner.is_subdomain_of(zone) && !(r.owner == zone) && qname.is_subdomain_of(r.owner))
            return r.owner;
    }
    return std::nullopt;
}

ResponseKind classify(const Message& msg, const Question& q, const Name& zone) {
    if (!msg.has(flag::QR)) return ResponseKind::error;
    uint16_t rc = msg.rcode();
    if (rc == rcode::REFUSED) return ResponseKind::lame;
    if (rc != rcode::NOERROR && rc != rcode::NXDOMAIN) return ResponseKind::error;
    bool other_data = false;
    for (const auto& r : msg.answer) {
        if (answers_question(r, q, zone)) return ResponseKind::answer;
        other_data |= r.type != type::RRSIG;
    }
    // Records in the answer section that do not answer the question: a broken server.
    if (other_data) return ResponseKind::error;
    if (rc == rcode::NXDOMAIN) return ResponseKind::nxdomain;
    if (referral_zone(msg, q.name, zone)) return ResponseKind::referral;
    bool has_soa = false, has_other_ns = false;
    for (const auto& r : msg.authority) {
        if (r.type == type::SOA && q.name.is_subdomain_of(r.owner) && r.owner.is_subdomain_of(zone))
            has_soa = true;
        if (r.type == type::NS) has_other_ns = true;
    }
    if (has_soa) return ResponseKind::nodata;
    // A referral up or sideways means the server does not know the zone.
    if (has_other_ns && !msg.has(flag::AA)) return ResponseKind::lame;
    return msg.has(flag::AA) ? ResponseKind::nodata : ResponseKind::lame;
}

}  // namespace port53::engine
