// Pure decoding of a DNS-over-HTTPS request (RFC 8484) and of the JSON API
// (GET /resolve?name=&type=, as Google and Cloudflare serve it) into a DNS query, or into
// the HTTP error it deserves. No I/O: the HTTP/1.1 and HTTP/2 layers extract the fields,
// this decides; unit-tested and fuzzed on its own.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/types.hpp"

namespace port53::transports {

constexpr std::size_t kMaxDnsMessage = wire::kMaxMessageSize;
// The request header block HTTP/1.1 and HTTP/2 accept: room for a 64 KiB query as GET ?dns=.
constexpr std::size_t kMaxHttpHeaderBytes = std::size_t{96} * 1024;
constexpr std::string_view kJsonPath = "/resolve";
constexpr std::string_view kDnsMessageType = "application/dns-message";
constexpr std::string_view kDnsJsonType = "application/dns-json";

struct HttpRequest {
    std::string_view method;        // "GET", "POST", ...
    std::string_view target;        // path and query string, e.g. "/dns-query?dns=AAAB..."
    std::string_view content_type;  // empty if absent
    std::span<const uint8_t> body;
};

enum class DohKind { dns_message, json };

struct DohDecoded {
    int status = 200;        // anything else: answer with this status and `error` as the body
    std::string error;       // one line saying what was wrong
    std::string_view allow;  // for 405: the methods the path accepts (a constant)
    DohKind kind = DohKind::dns_message;
    std::vector<uint8_t> query;  // the DNS query, when status is 200
    uint8_t view = 0;            // the view of the path it came to (view.doh_paths); 0: none
};

// A view's own DoH path ("/dns-query/kids"), as server/views.hpp orders it: first.
struct DohViewPath {
    std::string path;
    uint8_t view = 0;
};

// `view_paths`: paths taking DoH queries besides `doh_path`, each for a view. Written into
// `out`, whose query buffer is reused: a connection that decodes into the same one
// allocates nothing per request once it has seen the largest (issue 13).
void decode_doh_request(const HttpRequest& req, std::string_view doh_path,
                        std::span<const DohViewPath> view_paths, DohDecoded& out);
DohDecoded decode_doh_request(const HttpRequest& req, std::string_view doh_path,
                              std::span<const DohViewPath> view_paths = {});

// RFC 4648 §5 base64url; the padding RFC 8484 forbids is tolerated, anything else fails.
// Into `out` (false: not base64url, `out` undefined), or as a new vector.
bool base64url_decode(std::string_view text, std::vector<uint8_t>& out);
std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text);
// The value of `key` in a query string ("a=1&b=2"), percent-decoded; nullopt if absent.
std::optional<std::string> query_parameter(std::string_view query, std::string_view key);
// "A", "aaaa", "TYPE65", "28" → the type number.
std::optional<uint16_t> rr_type_from_text(std::string_view text);

}  // namespace port53::transports
