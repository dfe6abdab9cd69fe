// Socket options every listener sets.
#pragma once

namespace port53::transports {

// SO_REUSEADDR + SO_REUSEPORT (one socket per worker, the kernel spreads clients),
// and IPV6_V6ONLY for IPv6 sockets so [::]:53 and 0.0.0.0:53 can coexist.
void prepare_listening_socket(int fd, bool v6);
void set_buffer_sizes(int fd, int bytes);
// TCP_NODELAY: without it pipelined answers wait for delayed ACKs (40 ms stalls).
void set_no_delay(int fd);

}  // namespace port53::transports
