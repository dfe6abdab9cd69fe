#include "transports/doh_response.hpp"

#include "transports/dns_json.hpp"

namespace port53::transports {

DohResponse doh_answer(DohKind kind, std::span<const uint8_t> reply) {
    if (reply.empty()) {
        DohDecoded bad;
        bad.status = 400;
        bad.error = "not a DNS query";
        return doh_error(bad);
    }
    DohResponse r;
    if (kind == DohKind::json) {
        auto json = dns_json(reply);
        if (!json) {
            r.status = 500;
            r.content_type = "text/plain";
            r.body = "unreadable answer\n";
            return r;
        }
        r.body = std::move(*json);
        r.content_type = kDnsJsonType;
    } else {
        r.body.assign(reply.begin(), reply.end());
        r.content_type = kDnsMessageType;
    }
    // No records (SERVFAIL and the like): nothing says how long it stays true.
    auto ttl = smallest_ttl(reply);
    r.cache_control = ttl ? "max-age=" + std::to_string(*ttl) : "no-store";
    return r;
}

DohResponse doh_error(const DohDecoded& decoded) {
    DohResponse r;
    r.status = decoded.status;
    r.content_type = "text/plain";
    r.allow = decoded.allow;
    r.body = decoded.error + "\n";
    return r;
}

std::string_view http_reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 413:
            return "Payload Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Error";
    }
}

}  // namespace port53::transports
