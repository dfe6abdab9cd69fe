// Who may speak for a client with a PROXY v2 header (issue 15), and what becomes of each
// datagram or connection on a listener that expects headers. As PowerDNS Recursor's
// proxy-protocol-from: a sender in the trusted networks must send the header (without one
// it is dropped), a header from any other sender is dropped (anyone could otherwise pose
// as any client), and other senders are served as themselves, so one listener serves the
// proxy and direct clients alike. The header itself is parsed by transports/proxy_header.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/acl.hpp"
#include "transports/proxy_header.hpp"

namespace port53::transports {

class ProxyPolicy {
  public:
    // "NET/LEN" or single addresses; throws std::invalid_argument naming a bad one.
    explicit ProxyPolicy(const std::vector<std::string>& from);
    bool trusted(const sockaddr* peer) const noexcept;

  private:
    std::vector<server::Network> from_;
};

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
ProxyOutcome proxy_datagram(const ProxyPolicy& policy, const sockaddr* peer,
                            std::span<const uint8_t> data, ProxyHeader& header,
                            const sockaddr*& client, std::size_t& payload, std::string& error);

// Counts the drop (port53_refused_total{reason="proxy"}) and logs it as a security event,
// rate-limited like the others (security_log.per_second): "security: proxy client=PEER
// (udp|tcp|...) dropped: WHY".
void report_proxy_drop(ProxyOutcome outcome, const sockaddr* peer, std::string_view transport,
                       std::string_view why);

}  // namespace port53::transports
