// What a transport sees of the resolver: the front door's two entry points and the
// vocabulary they take. Transports include this header only (not server.hpp, and through
// it the engine, caches and DNSSEC), so they can be tested against a fake front door.
// server::Server implements it.
#pragma once
#include <sys/socket.h>

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace port53::server {

// Each kind by name for the query log and dnstap; all but udp are streams (RFC 7766).
enum class ClientTransport : uint8_t { udp, tcp, dot, doh };

class Acl;  // a listener's own access list (server/acl.hpp), passed through unopened
// The proxies that may lead with PROXY v2 headers (server/proxy_trust.hpp), passed through
// unopened too.
class ProxyTrust;

// PROXY v2 (issue 15), for the transports that strip the headers: whether `peer` is one of
// the proxies; and the report of a datagram or connection dropped for its header, counted
// (port53_refused_total{reason="proxy"}) and logged as a rate-limited security event:
// "security: proxy client=PEER TRANSPORT dropped: WHY".
bool proxy_trusted(const ProxyTrust& trust, const sockaddr* peer) noexcept;
void proxy_dropped(const sockaddr* peer, std::string_view transport, std::string_view why);

// A view (split horizon): the answer sources, routes and cache partition one group of
// clients gets (server/views.hpp). Transports pass a hint: the view of the listener the
// query came in on or of the DoH path it was sent to; 0 means none, and the server then
// chooses by the client's network, or the default view (0).
using ViewId = uint8_t;

class FrontDoor {
  public:
    enum class Fast { answered, drop, resolve };
    // Called with the reply (empty: send nothing), on the executor given to handle_slow().
    using Done = std::function<void(std::span<const uint8_t>)>;

    // The hot path: writes an answer into `out` (length in `out_len`) for cache hits and
    // bad queries, without allocating. `out` must hold at least 65535 bytes for stream
    // transports and the server's EDNS buffer size for UDP. `client` (null: trusted, e.g.
    // a proxy already checked) is matched against `acl`, or the server's own when null.
    // `resolve`: call handle_slow() with the same query (and the same `view`).
    virtual Fast handle_fast(std::span<const uint8_t> query, std::span<uint8_t> out,
                             std::size_t& out_len, ClientTransport t, const sockaddr* client,
                             const Acl* acl, ViewId view) = 0;
    // Resolves a query that handle_fast() returned `resolve` for; calls `done` exactly once,
    // on `ex`. Identical questions in flight share one resolution.
    virtual void handle_slow(std::span<const uint8_t> query, ClientTransport t,
                             boost::asio::any_io_executor ex, Done done, const sockaddr* client,
                             ViewId view) = 0;
    // After SIGTERM: datagram listeners read no more (what they read is still answered).
    virtual bool draining() const { return false; }

  protected:
    ~FrontDoor() = default;
};

}  // namespace port53::server
