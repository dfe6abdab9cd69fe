// The PROXY protocol, version 2 (HAProxy's "The PROXY protocol", section 2.2), as dnsdist,
// PowerDNS Recursor and Unbound speak it: a load balancer in front of port53 puts a binary
// header before a UDP datagram or at the start of a TCP or TLS connection, naming the client it
// speaks for. Parsing only: which peers may send one is the listener's decision (issue 15).
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace port53::transports {

// The 12 bytes every version 2 header starts with (section 2.2).
inline constexpr uint8_t kProxyV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
// Header (16 bytes) and the longest address block and TLVs port53 accepts: dnsdist sends a
// few TLVs at most; a longer one is refused rather than buffered.
inline constexpr std::size_t kProxyV2MaxLength = 16 + 2048;

struct ProxyHeader {
    // LOCAL (a health check from the proxy itself): the connection's own peer stands; PROXY
    // with an address family port53 does not route (UNSPEC, UNIX): the same.
    bool has_client = false;
    sockaddr_storage client{};       // source address and port, when has_client
    sockaddr_storage destination{};  // where the client connected to the proxy
    bool datagram = false;           // transport: DGRAM (UDP) or STREAM (TCP)
    std::size_t length = 0;          // bytes the header takes, TLVs included
};

enum class ProxyParse {
    ok,          // `out` filled; the payload starts at out.length
    incomplete,  // a prefix of a valid header: read more (streams)
    invalid,     // not a version 2 header, or a malformed one: `error` says why
};

// Parses the header at the start of `data`. TLVs are checked for being well formed (each
// inside the header) and otherwise ignored.
ProxyParse parse_proxy_header(std::span<const uint8_t> data, ProxyHeader& out, std::string& error);

// A PROXY v2 header for `client` → `destination` (same family), for tests and the benchmark's
// load generator.
std::string make_proxy_header(const sockaddr* client, const sockaddr* destination, bool datagram);

}  // namespace port53::transports
