// Small builders shared by the unit tests.
#pragma once
#include <arpa/inet.h>

#include <string>
#include <string_view>
#include <vector>

#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::test {

inline wire::Name N(const char* text) {
    return *wire::Name::from_text(text);
}

inline std::string ipv4(const char* text) {
    std::string out(4, '\0');
    inet_pton(AF_INET, text, out.data());
    return out;
}

inline wire::Record rr(const char* owner, uint16_t type, uint32_t ttl, std::string rdata) {
    return wire::Record{N(owner), type, wire::cls::IN, ttl, std::move(rdata)};
}
inline wire::Record a(const char* owner, const char* ip, uint32_t ttl = 300) {
    return rr(owner, wire::type::A, ttl, ipv4(ip));
}
inline wire::Record name_rr(const char* owner, uint16_t type, const char* target,
                            uint32_t ttl = 300) {
    return rr(owner, type, ttl, std::string(N(target).wire()));
}
inline wire::Record soa(const char* owner, uint32_t ttl = 300, uint32_t minimum = 60) {
    std::string rd = std::string(N("ns.invalid.").wire()) + std::string(N("host.invalid.").wire());
    for (uint32_t v : {1u, 3600u, 600u, 86400u, minimum}) {
        uint8_t b[4];
        wire::store32(b, v);
        rd.append(reinterpret_cast<char*>(b), 4);
    }
    return rr(owner, wire::type::SOA, ttl, rd);
}

// RFC 4648 §7 base32hex (lower case, no padding): how NSEC3 owner names spell hashes.
inline std::string base32hex(std::string_view bytes) {
    const char* alphabet = "0123456789abcdefghijklmnopqrstuv";
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(alphabet[(buffer >> bits) & 31]);
        }
    }
    if (bits) out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

// A client address for the per-client policies (ACL, rate limits, tunnel detection).
inline sockaddr_in ipv4_client(const char* ip) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &s.sin_addr);
    return s;
}

inline std::vector<uint8_t> query(const char* name, uint16_t type, uint16_t id = 0x1234,
                                  bool edns = true, uint16_t udp = 1232) {
    wire::MessageBuilder b;
    b.header(id, wire::flag::RD);
    b.question(N(name), type, wire::cls::IN);
    if (edns) b.add_opt(udp, false);
    return b.take();
}

}  // namespace port53::test
