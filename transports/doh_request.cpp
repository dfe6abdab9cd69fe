#include "transports/doh_request.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>

#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::transports {
namespace {

constexpr std::size_t kMinDnsMessage = wire::kHeaderSize;

void fail(DohDecoded& d, int status, std::string_view text) {
    d.status = status;
    d.error.assign(text);
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (wire::ascii_lower(static_cast<uint8_t>(a[i])) !=
            wire::ascii_lower(static_cast<uint8_t>(b[i])))
            return false;
    return true;
}

// "application/dns-message; charset=..." → "application/dns-message", trimmed.
std::string_view media_type(std::string_view ct) {
    ct = ct.substr(0, ct.find(';'));
    while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
    while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
    return ct;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi << 4 | lo));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

bool truthy(const std::optional<std::string>& v) {
    return v && (*v == "1" || iequals(*v, "true"));
}

// The value of `key` as it stands in the query string (nullopt: absent), and whether it
// needs percent-decoding: base64url's letters never do, so dns= is used where it lies.
std::optional<std::string_view> raw_parameter(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
        std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) != key) continue;
        return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    return std::nullopt;
}

void decode_dns_message(const HttpRequest& req, std::string_view query_string, DohDecoded& d) {
    if (req.method == "GET") {
        auto param = raw_parameter(query_string, "dns");
        if (!param) return fail(d, 400, "missing dns= parameter");
        std::optional<std::string> decoded;
        if (param->find_first_of("%+") != std::string_view::npos) {
            decoded = percent_decode(*param);
            if (!decoded) return fail(d, 400, "dns= is not base64url");
            param = *decoded;
        }
        if (param->size() > (kMaxDnsMessage + 2) / 3 * 4 + 3)
            return fail(d, 413, "DNS message over 65535 bytes");
        if (!base64url_decode(*param, d.query)) return fail(d, 400, "dns= is not base64url");
    } else if (req.method == "POST") {
        if (!iequals(media_type(req.content_type), kDnsMessageType))
            return fail(d, 415, "POST needs Content-Type: application/dns-message");
        if (req.body.size() > kMaxDnsMessage) return fail(d, 413, "DNS message over 65535 bytes");
        d.query.assign(req.body.begin(), req.body.end());
    } else {
        d.allow = "GET, POST";
        return fail(d, 405, "use GET or POST");
    }
    if (d.query.size() > kMaxDnsMessage) return fail(d, 413, "DNS message over 65535 bytes");
    if (d.query.size() < kMinDnsMessage) return fail(d, 400, "too short for a DNS message");
}

void decode_json(const HttpRequest& req, std::string_view query_string, DohDecoded& d) {
    if (req.method != "GET") {
        d.allow = "GET";
        return fail(d, 405, "the JSON API takes GET only");
    }
    auto name_text = query_parameter(query_string, "name");
    if (!name_text || name_text->empty()) return fail(d, 400, "missing name= parameter");
    auto name = wire::Name::from_text(*name_text);
    if (!name) return fail(d, 400, "name= is not a domain name");
    uint16_t qtype = wire::type::A;
    if (auto t = query_parameter(query_string, "type")) {
        auto parsed = rr_type_from_text(*t);
        if (!parsed) return fail(d, 400, "type= is not a record type");
        qtype = *parsed;
    }
    bool cd = truthy(query_parameter(query_string, "cd"));
    bool dnssec_ok = truthy(query_parameter(query_string, "do"));
    wire::MessageBuilder b;
    b.header(0, static_cast<uint16_t>(wire::flag::RD | (cd ? wire::flag::CD : 0)));
    b.question(*name, qtype, wire::cls::IN);
    b.add_opt(wire::kMinUdpSize, dnssec_ok);
    d.kind = DohKind::json;
    d.query = b.take();
}

}  // namespace

void decode_doh_request(const HttpRequest& req, std::string_view doh_path,
                        std::span<const DohViewPath> view_paths, DohDecoded& out) {
    out.status = 200;
    out.error.clear();
    out.allow = {};
    out.kind = DohKind::dns_message;
    out.query.clear();
    out.view = 0;
    std::string_view target = req.target;
    target = target.substr(0, target.find('#'));
    std::size_t q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query_string = q == std::string_view::npos ? "" : target.substr(q + 1);
    if (path == doh_path) return decode_dns_message(req, query_string, out);
    if (path == kJsonPath) return decode_json(req, query_string, out);
    for (const auto& v : view_paths) {
        if (path != v.path) continue;
        decode_dns_message(req, query_string, out);
        out.view = v.view;
        return;
    }
    fail(out, 404, "no such path; DoH is at " + std::string(doh_path));
}

DohDecoded decode_doh_request(const HttpRequest& req, std::string_view doh_path,
                              std::span<const DohViewPath> view_paths) {
    DohDecoded d;
    decode_doh_request(req, doh_path, view_paths, d);
    return d;
}

bool base64url_decode(std::string_view text, std::vector<uint8_t>& out) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return false;  // one character cannot hold a byte
    // base64url (RFC 4648 §5) is base64 (§4) with '-' and '_' for '+' and '/'. OpenSSL
    // decodes §4 in whole padded quads, skips white space at either end and reads '=' as
    // zero bits: swap the two letters, refuse §4's own and any '=', pad, and check that
    // nothing was skipped (the length). The two texts are per thread, kept for reuse.
    thread_local std::string standard, again;
    standard.clear();
    for (char c : text) {
        if (c == '+' || c == '/' || c == '=') return false;
        standard.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
    }
    std::size_t padding = (4 - standard.size() % 4) % 4;
    standard.append(padding, '=');
    out.resize(standard.size() / 4 * 3);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(standard.data()),
                            static_cast<int>(standard.size()));
    if (n != static_cast<int>(out.size())) return false;
    out.resize(out.size() - padding);
    // Leftover bits must be zero (canonical encoding, RFC 4648 §3.5): encoding the bytes
    // again must give the text back.
    again.resize(standard.size() + 1);
    int m = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(again.data()), out.data(),
                            static_cast<int>(out.size()));
    return std::string_view(again.data(), static_cast<std::size_t>(m)) == standard;
}

std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text) {
    std::vector<uint8_t> out;
    if (!base64url_decode(text, out)) return std::nullopt;
    return out;
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view key) {
    auto raw = raw_parameter(query, key);
    if (!raw) return std::nullopt;
    return percent_decode(*raw);
}

std::optional<uint16_t> rr_type_from_text(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, uint16_t>, 24> kTypes{{
        {"A", 1},      {"NS", 2},      {"CNAME", 5},  {"SOA", 6},         {"PTR", 12},
        {"HINFO", 13}, {"MX", 15},     {"TXT", 16},   {"AAAA", 28},       {"SRV", 33},
        {"NAPTR", 35}, {"DNAME", 39},  {"DS", 43},    {"SSHFP", 44},      {"RRSIG", 46},
        {"NSEC", 47},  {"DNSKEY", 48}, {"NSEC3", 50}, {"TLSA", 52},       {"SVCB", 64},
        {"HTTPS", 65}, {"CAA", 257},   {"ANY", 255},  {"NSEC3PARAM", 51},
    }};
    for (const auto& [name, value] : kTypes)
        if (iequals(text, name)) return value;
    std::string_view digits = text;
    if (digits.size() > 4 && iequals(digits.substr(0, 4), "TYPE")) digits.remove_prefix(4);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        value > 65535)
        return std::nullopt;
    return static_cast<uint16_t>(value);
}

}  // namespace port53::transports
