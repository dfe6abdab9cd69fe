// Step 1 of handling a response: what kind of answer is it, relative to the zone we asked?
#pragma once
#include "wire/message.hpp"

namespace port53::engine {

enum class ResponseKind {
    answer,    // data (or a CNAME/DNAME) for the question
    referral,  // delegation to a zone closer to the question
    nxdomain,
    nodata,
    lame,   // the server does not serve the zone: REFUSED, upward referral, empty non-AA reply
    error,  // SERVFAIL, FORMERR, NOTIMP, or not a response
};

// `zone` is the zone cut whose server we asked; only records under it count (bailiwick).
ResponseKind classify(const wire::Message& msg, const wire::Question& q, const wire::Name& zone);

// The NS owner of a referral in `msg` (valid only when classify() said referral).
std::optional<wire::Name> referral_zone(const wire::Message& msg, const wire::Name& qname,
                                        const wire::Name& zone);

}  // namespace port53::engine
