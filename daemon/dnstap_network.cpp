#include "daemon/dnstap_network.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace port53::daemon {

namespace {

sockaddr_storage socket_address(const upstream::ServerAddr& s) {
    sockaddr_storage out{};
    if (s.v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&out);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(s.port);
        std::memcpy(a->sin6_addr.s6_addr, s.ip.data(), 16);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&out);
        a->sin_family = AF_INET;
        a->sin_port = htons(s.port);
        std::memcpy(&a->sin_addr, s.ip.data(), 4);
    }
    return out;
}

server::DnstapProtocol protocol_of(upstream::Proto p) {
    switch (p) {
        case upstream::Proto::udp:
            return server::DnstapProtocol::udp;
        case upstream::Proto::tcp:
            return server::DnstapProtocol::tcp;
        case upstream::Proto::tls:
            return server::DnstapProtocol::dot;
    }
    return server::DnstapProtocol::udp;
}

}  // namespace

base::awaitable<upstream::ExchangeResult> DnstapNetwork::exchange(
    const upstream::ServerAddr& authority, std::span<const uint8_t> query, upstream::Proto proto,
    std::chrono::milliseconds timeout) {
    sockaddr_storage peer = socket_address(authority);
    const auto* sa = reinterpret_cast<const sockaddr*>(&peer);
    int64_t sent = server::dnstap_now_ns();
    tap_.write({server::DnstapType::resolver_query, protocol_of(proto), sa, sent, 0, query});
    upstream::ExchangeResult r = co_await inner_.exchange(authority, query, proto, timeout);
    if (r.status == upstream::ExchangeResult::Status::ok)
        tap_.write({server::DnstapType::resolver_response, protocol_of(proto), sa, sent,
                    server::dnstap_now_ns(), r.response});
    co_return r;
}

}  // namespace port53::daemon
