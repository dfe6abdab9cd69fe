#include "transports/socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace port53::transports {

void prepare_listening_socket(int fd, bool v6) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
}

void set_buffer_sizes(int fd, int bytes) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

bool address_free(const sockaddr* addr, socklen_t len, int type) {
    int fd = socket(addr->sa_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return true;  // cannot tell; the real bind will report what is wrong
    int one = 1;
    // TCP: SO_REUSEADDR only lets the probe past connections in TIME_WAIT, not a listener.
    if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr->sa_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    bool free = bind(fd, addr, len) == 0 || errno != EADDRINUSE;
    close(fd);
    return free;
}

void set_no_delay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace port53::transports
