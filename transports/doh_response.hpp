// What a DoH request gets back, independent of HTTP version: status, headers, body.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "transports/doh_request.hpp"

namespace port53::transports {

struct DohResponse {
    int status = 200;
    std::string_view content_type;  // a constant
    std::string cache_control;      // empty: no header
    std::string_view allow;         // a constant; empty: no header (405 only)
    std::string body;
};

// 200 with the DNS answer (application/dns-message) or its JSON form; Cache-Control
// max-age is the answer's smallest TTL (RFC 8484 §5.1). An empty `reply` (the resolver
// dropped the query: it was a response, not a query) becomes 400. Written into `out`,
// whose buffers are reused (an HTTP/2 stream slot answers many requests).
void doh_answer(DohKind kind, std::span<const uint8_t> reply, DohResponse& out);
DohResponse doh_answer(DohKind kind, std::span<const uint8_t> reply);
// An error status with a one-line text body.
void doh_error(const DohDecoded& decoded, DohResponse& out);
DohResponse doh_error(const DohDecoded& decoded);

// "OK", "Bad Request", ... for HTTP/1.1 status lines and logs.
std::string_view http_reason(int status);

}  // namespace port53::transports
