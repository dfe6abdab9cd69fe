// What becomes of each datagram or connection on a listener that expects PROXY v2 headers
// (issue 15), as PowerDNS Recursor's proxy-protocol-from has it: a sender among the trusted
// proxies (server/proxy_trust.hpp) must send the header (without one it is dropped), a header
// from any other sender is dropped (anyone could otherwise pose as any client), and other
// senders are served as themselves, so one listener serves the proxy and direct clients
// alike. The header itself is parsed by transports/proxy_header.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "server/front_door.hpp"
#include "transports/proxy_header.hpp"

namespace port53::transports {

enum class ProxyOutcome : uint8_t {
    direct,     // not a trusted proxy and no header: the sender is the client
    proxied,    // a trusted proxy's header: its client (the proxy itself for LOCAL)
    untrusted,  // a header from a sender not trusted: dropped
    missing,    // a trusted proxy without a header: dropped
    malformed,  // a trusted proxy's header that does not parse: dropped
};

// The data starts like a PROXY v2 header: as much of the 12-byte signature as it holds
// (at least one byte) matches.
bool starts_like_proxy_header(std::span<const uint8_t> data) noexcept;

// One datagram from `peer` (section 2.2: the header leads each datagram). On `proxied` and
// `direct`, `client` is who sent the question (into `header` or `peer`) and `payload` where
// the DNS message starts; otherwise `error` says why it is dropped. Allocates only then.
ProxyOutcome proxy_datagram(const server::ProxyTrust& trust, const sockaddr* peer,
                            std::span<const uint8_t> data, ProxyHeader& header,
                            const sockaddr*& client, std::size_t& payload, std::string& error);

}  // namespace port53::transports
