// The client behind a reverse proxy. Proxies name the client in X-Forwarded-For
// ("client, proxy1, proxy2", one or several header lines) or in Forwarded (RFC 7239,
// `for=` parameters). The chain is believed only from a configured proxy, walked from the
// right (the hops a trusted proxy added) for as long as it stays within trusted proxies.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace port53::transports {

// The proxy headers of one request: every X-Forwarded-For and Forwarded field line, in
// the order received.
struct ProxyHeaders {
    std::vector<std::string_view> x_forwarded_for;
    std::vector<std::string_view> forwarded;
};

// `peer` is the TCP peer. Returns the client, or nullopt when the request must be refused:
// a hop that a trusted proxy passed on cannot be parsed (or is an RFC 7239 obfuscated or
// "unknown" identifier), or both header kinds are present (which one the proxy wrote
// cannot be told, and the other is the client's to forge).
std::optional<boost::asio::ip::address> forwarded_client(
    const boost::asio::ip::address& peer, const ProxyHeaders& headers,
    const std::vector<boost::asio::ip::address>& trusted);

}  // namespace port53::transports
