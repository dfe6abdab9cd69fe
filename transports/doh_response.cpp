#include "transports/doh_response.hpp"

#include <charconv>
#include <iterator>

#include "transports/dns_json.hpp"
#include "wire/opt_view.hpp"

namespace port53::transports {

void doh_answer(DohKind kind, std::span<const uint8_t> reply, DohResponse& out) {
    if (reply.empty()) {
        DohDecoded bad;
        bad.status = 400;
        bad.error = "not a DNS query";
        return doh_error(bad, out);
    }
    out.status = 200;
    out.allow = {};
    if (kind == DohKind::json) {
        auto json = dns_json(reply);
        if (!json) {
            out.status = 500;
            out.content_type = "text/plain";
            out.body = "unreadable answer\n";
            out.cache_control.clear();
            return;
        }
        out.body = std::move(*json);
        out.content_type = kDnsJsonType;
    } else {
        out.body.assign(reinterpret_cast<const char*>(reply.data()),
                        reply.size());  // iterators of bytes would copy through a temporary string
        out.content_type = kDnsMessageType;
    }
    // No records (SERVFAIL and the like): nothing says how long it stays true.
    auto ttl = wire::smallest_ttl(reply);
    if (!ttl) {
        out.cache_control = "no-store";
        return;
    }
    char digits[16];
    auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), *ttl);
    out.cache_control.assign("max-age=").append(digits, end);
}

DohResponse doh_answer(DohKind kind, std::span<const uint8_t> reply) {
    DohResponse r;
    doh_answer(kind, reply, r);
    return r;
}

void doh_error(const DohDecoded& decoded, DohResponse& out) {
    out.status = decoded.status;
    out.content_type = "text/plain";
    out.allow = decoded.allow;
    out.cache_control.clear();
    out.body.assign(decoded.error).append("\n");
}

DohResponse doh_error(const DohDecoded& decoded) {
    DohResponse r;
    doh_error(decoded, r);
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
