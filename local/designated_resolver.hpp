// Discovery of Designated Resolvers (DDR, RFC 9462): the SVCB records (RFC 9461) that tell a
// client asking over plain DNS where this resolver also speaks DoT and DoH, so Windows 11,
// Android and browsers upgrade to encrypted DNS by themselves. They are answered at
// _dns.resolver.arpa. (§4, any client of this resolver) and at _dns.<name>. (§5, clients that
// know the resolver's name), as local data asked before every other source.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "local/local_zones.hpp"
#include "wire/message.hpp"

namespace port53::local {

// Where an encrypted transport listens: an IP literal ("192.0.2.1", "::1") and a port.
struct ListenPoint {
    std::string ip;
    uint16_t port = 0;
};

struct DesignatedEndpoints {
    std::string name;  // what the certificate holds, e.g. "dns.home.arpa."
    std::vector<ListenPoint> dot, doh;
    std::string doh_path;  // "/dns-query"
    uint32_t ttl = 300;
};

// One SVCB record per endpoint port and owner, DoT first (priority 1, 2, ...) then DoH:
// alpn ("dot"; "h2,http/1.1" for DoH), port, dohpath ("/dns-query{?dns}", RFC 9461 §5) and
// the listen addresses as ipv4hint/ipv6hint (RFC 9462 §4: the designated resolver's addresses,
// so the client needs no further lookup; wildcard addresses give no hint). Throws
// std::invalid_argument naming what is wrong (a bad name or address).
std::vector<wire::Record> designated_resolver_records(const DesignatedEndpoints& e);

// Those records as zones: _dns.resolver.arpa. and _dns.<name>. each a transparent zone of its
// own holding only its SVCB set (other types there: NODATA, as RFC 9462 §4 expects).
std::shared_ptr<const LocalZones> designated_resolver_zones(const DesignatedEndpoints& e);

}  // namespace port53::local
