#include "transports/proxy_policy.hpp"

#include <algorithm>

namespace port53::transports {

bool starts_like_proxy_header(std::span<const uint8_t> data) noexcept {
    std::size_t n = std::min(data.size(), sizeof kProxyV2Signature);
    return n > 0 && std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n),
                               kProxyV2Signature);
}

ProxyOutcome proxy_datagram(const server::ProxyTrust& trust, const sockaddr* peer,
                            std::span<const uint8_t> data, ProxyHeader& header,
                            const sockaddr*& client, std::size_t& payload, std::string& error) {
    // A datagram too short for the whole signature cannot be a header, nor a DNS query.
    bool has_header = data.size() >= sizeof kProxyV2Signature && starts_like_proxy_header(data);
    if (!server::proxy_trusted(trust, peer)) {
        if (has_header) {
            error = "PROXY header from a sender not in proxy_protocol.from";
            return ProxyOutcome::untrusted;
        }
        client = peer;
        payload = 0;
        return ProxyOutcome::direct;
    }
    if (!has_header) {
        error = "no PROXY header from a proxy in proxy_protocol.from";
        return ProxyOutcome::missing;
    }
    switch (parse_proxy_header(data, header, error)) {
        case ProxyParse::ok:
            break;
        case ProxyParse::incomplete:
            error = "PROXY header cut short";
            return ProxyOutcome::malformed;
        case ProxyParse::invalid:
            return ProxyOutcome::malformed;
    }
    // LOCAL (section 2.2: the proxy's own health check) and unroutable families: the
    // proxy is the client.
    client = header.has_client ? reinterpret_cast<const sockaddr*>(&header.client) : peer;
    payload = header.length;
    return ProxyOutcome::proxied;
}

}  // namespace port53::transports
