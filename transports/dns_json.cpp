#include "transports/dns_json.hpp"

#include <algorithm>
#include <cstdio>

#include "wire/message.hpp"
#include "wire/types.hpp"

namespace port53::transports {
namespace {

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    out.push_back('"');
}

// TXT: each character-string quoted, as the public JSON APIs show it.
std::string txt_text(std::string_view rdata) {
    std::string out;
    std::size_t pos = 0;
    while (pos < rdata.size()) {
        std::size_t len = static_cast<uint8_t>(rdata[pos]);
        if (pos + 1 + len > rdata.size()) break;
        if (!out.empty()) out.push_back(' ');
        out.push_back('"');
        for (char c : rdata.substr(pos + 1, len)) {
            if (c == '"' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        out.push_back('"');
        pos += 1 + len;
    }
    return out;
}

std::string data_text(const wire::Record& r) {
    if (r.type == wire::type::TXT) return txt_text(r.rdata);
    if (r.type == wire::type::MX && r.rdata.size() > 2) {
        auto pref = wire::load16(reinterpret_cast<const uint8_t*>(r.rdata.data()));
        return std::to_string(pref) + " " + wire::rdata_to_text(r.type, r.rdata);
    }
    return wire::rdata_to_text(r.type, r.rdata);
}

void append_records(std::string& out, const char* section, const std::vector<wire::Record>& rrs) {
    if (rrs.empty()) return;
    out += ",\"";
    out += section;
    out += "\":[";
    for (std::size_t i = 0; i < rrs.size(); ++i) {
        const auto& r = rrs[i];
        out += i ? ",{\"name\":" : "{\"name\":";
        append_json_string(out, r.owner.to_text());
        out += ",\"type\":" + std::to_string(r.type) + ",\"TTL\":" + std::to_string(r.ttl) +
               ",\"data\":";
        append_json_string(out, data_text(r));
        out.push_back('}');
    }
    out.push_back(']');
}

const char* boolean(bool b) {
    return b ? "true" : "false";
}

}  // namespace

std::optional<std::string> dns_json(std::span<const uint8_t> reply) {
    auto parsed = wire::parse_message(reply);
    if (!parsed) return std::nullopt;
    const wire::Message& m = *parsed;
    std::string out = "{\"Status\":" + std::to_string(m.rcode());
    out +=
        std::string(",\"TC\":") + boolean(m.has(wire::flag::TC)) +
        ",\"RD\":" + boolean(m.has(wire::flag::RD)) + ",\"RA\":" + boolean(m.has(wire::flag::RA)) +
        ",\"AD\":" + boolean(m.has(wire::flag::AD)) + ",\"CD\":" + boolean(m.has(wire::flag::CD));
    out += ",\"Question\":[";
    for (std::size_t i = 0; i < m.questions.size(); ++i) {
        out += i ? ",{\"name\":" : "{\"name\":";
        append_json_string(out, m.questions[i].name.to_text());
        out += ",\"type\":" + std::to_string(m.questions[i].type) + "}";
    }
    out.push_back(']');
    append_records(out, "Answer", m.answer);
    append_records(out, "Authority", m.authority);
    out += "}\n";
    return out;
}

}  // namespace port53::transports
