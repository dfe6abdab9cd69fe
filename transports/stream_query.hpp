// The one way stream front-ends (TCP, DoT, DoH) hand a DNS query to the front door: cache hits
// and bad queries answered at once, the rest when resolved; answers padded (RFC 8467) when
// the query carried padding and the transport is encrypted (DoT, DoH).
#pragma once
#include <sys/socket.h>

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <span>

#include "server/front_door.hpp"

namespace port53::transports {

// Calls `reply` exactly once: before returning (returns true) or later on `ex` (returns
// false). An empty span means "send nothing" (the query was a response, or unreadable).
// `client` is checked against the server's ACL (for plain-HTTP DoH: the address that
// X-Forwarded-For named, when the connection came from a trusted proxy); `view` is the
// listener's or DoH path's view (0: none); `t` the transport (the front door logs it).
// `keep_alive` is held until a later reply has been given: a caller whose `reply` refers to
// itself by plain pointer (so that a cache hit allocates nothing for it) passes itself here.
bool answer_query(server::FrontDoor& front_door, std::span<const uint8_t> query,
                  const sockaddr* client, const server::Acl* acl, server::ViewId view,
                  const boost::asio::any_io_executor& ex, server::FrontDoor::Done reply,
                  server::ClientTransport t = server::ClientTransport::doh,
                  std::shared_ptr<const void> keep_alive = nullptr);

}  // namespace port53::transports
