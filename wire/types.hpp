// DNS protocol constants shared by every module (RFC 1035, 6891, 3597, 4034, 5155).
#pragma once
#include <array>
#include <cstdint>

namespace port53::wire {

namespace type {
constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15, TXT = 16,
                   AAAA = 28, SRV = 33, NAPTR = 35, DNAME = 39, OPT = 41, DS = 43, RRSIG = 46,
                   NSEC = 47, DNSKEY = 48, NSEC3 = 50, NSEC3PARAM = 51, AXFR = 252, IXFR = 251,
                   MAILB = 253, MAILA = 254, ANY = 255;
}  // namespace type

namespace cls {
constexpr uint16_t IN = 1, CH = 3, ANY = 255;
}

namespace rcode {
constexpr uint16_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5,
                   BADVERS = 16, BADCOOKIE = 23;
}

// EDNS option codes (IANA "DNS EDNS0 Option Codes").
namespace edns_option {
constexpr uint16_t COOKIE = 10;   // RFC 7873
constexpr uint16_t PADDING = 12;  // RFC 7830
constexpr uint16_t EDE = 15;      // RFC 8914
}  // namespace edns_option

namespace opcode {
constexpr uint8_t QUERY = 0;
}

// Header flag bits in the second 16-bit word.
namespace flag {
constexpr uint16_t QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080, AD = 0x0020,
                   CD = 0x0010;
}

// DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers", RFC 8624).
namespace algorithm {
constexpr uint8_t RSASHA1 = 5, RSASHA1_NSEC3_SHA1 = 7, RSASHA256 = 8, RSASHA512 = 10,
                  ECDSAP256SHA256 = 13, ECDSAP384SHA384 = 14, ED25519 = 15, ED448 = 16;
}

// DNSKEY flags (RFC 4034 §2.1.1, RFC 5011 §3) and the only protocol value (§2.1.2).
namespace dnskey_flag {
constexpr uint16_t ZONE = 0x0100, REVOKE = 0x0080, SEP = 0x0001;
}
constexpr uint8_t kDnskeyProtocol = 3;

// DS digest types (RFC 4034 §5.1.3, RFC 4509, RFC 6605).
namespace digest_type {
constexpr uint8_t SHA1 = 1, SHA256 = 2, SHA384 = 4;
}

// NSEC3 hash algorithm and flags (RFC 5155 §3.1.1, §3.1.2).
namespace nsec3_hash_algorithm {
constexpr uint8_t SHA1 = 1;
}
namespace nsec3_flag {
constexpr uint8_t OPT_OUT = 0x01;
}

constexpr std::size_t kHeaderSize = 12;
// The largest DNS message: TCP's two-byte length prefix (RFC 1035 §4.2.2), and so the
// largest that DoT and DoH carry and that any response we build may be.
constexpr std::size_t kMaxMessageSize = 65535;
constexpr std::size_t kMaxNameWire = 255;
constexpr std::size_t kMaxLabel = 63;
constexpr uint16_t kMinUdpSize = 512;
// The EDNS UDP size we advertise and the largest UDP answer we send, unless configured:
// fits the common 1280-byte IPv6 MTU without fragmentation (DNS Flag Day 2020).
constexpr uint16_t kEdnsBufferSize = 1232;
constexpr uint16_t kEdnsDoBit = 0x8000;

// Read/write big-endian integers in wire data.
inline uint16_t load16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t load32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void store16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void store32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

// A table, not a comparison: every byte of every query's name goes through here on the
// cache-hit path, and a load is cheaper than two compares and a branch per byte.
inline constexpr std::array<uint8_t, 256> kAsciiLower = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = static_cast<uint8_t>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return t;
}();
inline uint8_t ascii_lower(uint8_t c) {
    return kAsciiLower[c];
}

}  // namespace port53::wire
