// Socket options every listener sets.
#pragma once
#include <sys/socket.h>

namespace port53::transports {

// SO_REUSEADDR + SO_REUSEPORT (one socket per worker, the kernel spreads clients),
// and IPV6_V6ONLY for IPv6 sockets so [::]:53 and 0.0.0.0:53 can coexist.
void prepare_listening_socket(int fd, bool v6);
void set_buffer_sizes(int fd, int bytes);
// TCP_NODELAY: without it pipelined answers wait for delayed ACKs (40 ms stalls).
void set_no_delay(int fd);

// True if nothing else is bound to `addr` (a sockaddr_in/in6) for `type` (SOCK_DGRAM or
// SOCK_STREAM). Listeners share ports through SO_REUSEPORT, so a second port53d would
// bind happily and silently take part of the traffic; a probe bind without it fails when
// any other socket holds the address.
bool address_free(const sockaddr* addr, socklen_t len, int type);

}  // namespace port53::transports
