// Parsed DNS messages (RFC 1035 §4) with owned records, for the resolution engine.
// The cache-hit path does not use this; it reads queries through query_view.hpp.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wire/name.hpp"

namespace port53::wire {

// One resource record. Names inside rdata are stored uncompressed so the record
// can be cached and re-rendered into any message.
struct Record {
    Name owner;
    uint16_t type = 0;
    uint16_t cls = 1;
    uint32_t ttl = 0;
    std::string rdata;
    friend bool operator==(const Record&, const Record&) = default;
};

struct Question {
    Name name;
    uint16_t type = 0;
    uint16_t cls = 1;
};

struct Edns {
    uint16_t udp_size = 512;
    uint8_t version = 0;
    uint8_t extended_rcode = 0;  // upper 8 bits of the 12-bit rcode
    bool dnssec_ok = false;
    std::string options;  // the OPT RDATA: code, length, data, ...

    // The data of the first option with `code`, if present and well formed.
    std::optional<std::string_view> option(uint16_t code) const;
};

struct Message {
    uint16_t id = 0;
    uint16_t flags = 0;  // QR, opcode, AA, TC, RD, RA, AD, CD and the low 4 rcode bits
    std::vector<Question> questions;
    std::vector<Record> answer, authority, additional;  // OPT is lifted out into `edns`
    std::optional<Edns> edns;

    uint8_t opcode() const { return (flags >> 11) & 0xF; }
    uint16_t rcode() const {
        return static_cast<uint16_t>((flags & 0xF) | (edns ? edns->extended_rcode << 4 : 0));
    }
    bool has(uint16_t f) const { return (flags & f) != 0; }
};

// Parse a whole message; nullopt for anything malformed, and then `*why`, if given, says
// what (a static string).
std::optional<Message> parse_message(std::span<const uint8_t> wire, const char** why = nullptr);

// The first name inside rdata of the types that carry one (NS, CNAME, DNAME, PTR),
// or the target of MX/SRV; nullopt for other types or malformed rdata.
std::optional<Name> rdata_target(uint16_t type, std::string_view rdata);

// Records of `records` grouped into RRsets by owner/type/class, in first-seen order
// (duplicates dropped).
std::vector<std::vector<Record>> group_rrsets(const std::vector<Record>& records);

// True if `response` answers `query`: same ID and same question (name case-insensitive).
// Resolvers drop anything else as a possible spoof (RFC 5452).
bool response_matches_query(std::span<const uint8_t> query, std::span<const uint8_t> response);

// Text form of an rdata for logs and the control tool ("192.0.2.1", "ns1.example.").
std::string rdata_to_text(uint16_t type, std::string_view rdata);

}  // namespace port53::wire
