#include "tools/loadgen/query_file.hpp"

#include <fstream>
#include <sstream>

#include "wire/name.hpp"
#include "wire/types.hpp"

// ldns last: its headers define macros that break <optional>'s operators.
#include <ldns/ldns.h>

namespace port53::loadgen {

namespace {

constexpr uint16_t kEdnsUdpSize = 1232;  // the DNS flag day 2020 value

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// "A", "aaaa", "TYPE65" (RFC 3597): ldns knows every mnemonic; 0 if none.
uint16_t type_from_text(std::string_view text) {
    std::string t(text);
    ldns_rr_type rt = ldns_get_rr_type_by_name(t.c_str());
    return static_cast<uint16_t>(rt);
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v & 0xff));
}

void append_opt(std::vector<uint8_t>& out, bool dnssec_ok) {
    out.push_back(0);  // root owner
    put16(out, wire::type::OPT);
    put16(out, kEdnsUdpSize);
    put16(out, 0);                       // extended RCODE, version 0
    put16(out, dnssec_ok ? 0x8000 : 0);  // DO (RFC 3225 §3)
    put16(out, 0);                       // no options
}

}  // namespace

void QuerySet::add(std::span<const uint8_t> wire, std::size_t question_len) {
    if (offsets_.empty()) offsets_.push_back(0);
    bytes_.insert(bytes_.end(), wire.begin(), wire.end());
    offsets_.push_back(bytes_.size());
    max_size_ = std::max(max_size_, wire.size());
    question_len_.push_back(static_cast<uint16_t>(question_len));
}

bool encode_line(std::string_view line, const QueryOptions& opt, std::vector<uint8_t>& out,
                 std::size_t& question_len, bool& skipped, std::string& error) {
    line = trim(line);
    skipped = line.empty() || line.front() == '#' || line.front() == ';';
    if (skipped) return true;
    std::size_t sp = line.find_first_of(" \t");
    std::string_view name_text = line.substr(0, sp);
    std::string_view type_text = sp == std::string_view::npos ? "A" : trim(line.substr(sp));
    if (type_text.find_first_of(" \t") != std::string_view::npos) {
        error = "more than a name and a type";
        return false;
    }
    auto name = wire::Name::from_text(name_text);
    if (!name) {
        error = "not a domain name: " + std::string(name_text);
        return false;
    }
    uint16_t qtype = type_from_text(type_text);
    if (qtype == 0) {
        error = "unknown type: " + std::string(type_text);
        return false;
    }
    out.clear();
    put16(out, 0);                                   // ID: set when sent
    put16(out, opt.recursion ? wire::flag::RD : 0);  // QUERY, RD
    put16(out, 1);                                   // QDCOUNT
    put16(out, 0);                                   // ANCOUNT
    put16(out, 0);                                   // NSCOUNT
    put16(out, opt.edns || opt.dnssec_ok ? 1 : 0);   // ARCOUNT
    out.insert(out.end(), name->wire().begin(), name->wire().end());
    put16(out, qtype);
    put16(out, wire::cls::IN);
    question_len = out.size() - kHeaderLen;
    if (opt.edns || opt.dnssec_ok) append_opt(out, opt.dnssec_ok);
    return true;
}

bool parse_query_text(std::string_view text, const QueryOptions& opt, QuerySet& out,
                      std::string& error) {
    std::vector<uint8_t> wire;
    std::size_t line_no = 0;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++line_no;
        std::size_t qlen = 0;
        bool skipped = false;
        std::string why;
        if (!encode_line(line, opt, wire, qlen, skipped, why)) {
            error = "line " + std::to_string(line_no) + ": " + why;
            return false;
        }
        if (!skipped) out.add(wire, qlen);
    }
    if (out.size() == 0) {
        error = "no queries";
        return false;
    }
    return true;
}

bool load_query_file(const std::string& path, const QueryOptions& opt, QuerySet& out,
                     std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open " + path;
        return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (!parse_query_text(text.str(), opt, out, error)) {
        error = path + ": " + error;
        return false;
    }
    return true;
}

}  // namespace port53::loadgen
