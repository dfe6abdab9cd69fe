#include "transports/udp_listener.hpp"

#include <cstring>

#include "base/counters.hpp"
#include "base/log.hpp"
#include "transports/socket_options.hpp"

namespace port53::transports {
namespace asio = boost::asio;
using asio::ip::udp;

UdpListener::UdpListener(asio::io_context& io, const udp::endpoint& ep,
                         server::FrontDoor& front_door, const server::Acl* acl, server::ViewId view,
                         std::shared_ptr<const server::ProxyTrust> proxy)
    : socket_(io), front_door_(front_door), acl_(acl), view_(view), proxy_(std::move(proxy)) {
    socket_.open(ep.protocol());
    prepare_listening_socket(socket_.native_handle(), ep.address().is_v6());
    set_buffer_sizes(socket_.native_handle(), 4 << 20);
    socket_.bind(ep);
    socket_.non_blocking(true);
    for (int i = 0; i < kBatch; ++i) {
        in_iov_[i] = {in_buf_[i].data(), kMaxDatagram};
        out_iov_[i] = {out_buf_[i].data(), 0};
        std::memset(&in_msg_[i], 0, sizeof(mmsghdr));
        std::memset(&out_msg_[i], 0, sizeof(mmsghdr));
        in_msg_[i].msg_hdr.msg_iov = &in_iov_[i];
        in_msg_[i].msg_hdr.msg_iovlen = 1;
        in_msg_[i].msg_hdr.msg_name = &in_peer_[i];
        out_msg_[i].msg_hdr.msg_iov = &out_iov_[i];
        out_msg_[i].msg_hdr.msg_iovlen = 1;
        out_msg_[i].msg_hdr.msg_name = &out_peer_[i];
    }
}

void UdpListener::start() {
    wait();
}

void UdpListener::wait() {
    socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
        if (ec == asio::error::operation_aborted) return;
        on_readable();
    });
}

void UdpListener::on_readable() {
    int fd = socket_.native_handle();
    // Bounded rounds per wake-up so resolutions finishing on this worker are not starved.
    for (int round = 0; round < 8; ++round) {
        if (front_door_.draining()) return;  // SIGTERM: read no more, and stop waiting
        for (auto& m : in_msg_) m.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        int n = recvmmsg(fd, in_msg_.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        int replies = 0;
        base::CounterBlock& counts = base::counters();
        for (int i = 0; i < n; ++i) {
            counts.query(base::Transport::udp);
            std::span<const uint8_t> query(in_buf_[i].data(), in_msg_[i].msg_len);
            // The client: the sender, or the one a trusted proxy's header names. Answers go
            // to the sender (the proxy), without a header: dnsdist expects none.
            const auto* client = reinterpret_cast<const sockaddr*>(&in_peer_[i]);
            if (proxy_ && !unwrap_proxy(query, client)) continue;
            std::size_t len = 0;
            auto r = front_door_.handle_fast(query, out_buf_[replies], len,
                                             server::ClientTransport::udp, client, acl_, view_);
            if (r == server::FrontDoor::Fast::answered) {
                out_peer_[replies] = in_peer_[i];
                out_msg_[replies].msg_hdr.msg_namelen = in_msg_[i].msg_hdr.msg_namelen;
                out_iov_[replies].iov_len = len;
                ++replies;
            } else if (r == server::FrontDoor::Fast::resolve) {
                sockaddr_storage peer = in_peer_[i];
                socklen_t peer_len = in_msg_[i].msg_hdr.msg_namelen;
                front_door_.handle_slow(
                    query, server::ClientTransport::udp, socket_.get_executor(),
                    [this, peer, peer_len](std::span<const uint8_t> reply) {
                        send_late_reply(peer, peer_len, reply);
                    },
                    client, view_);
            }
        }
        for (int sent = 0; sent < replies;) {
            int k = sendmmsg(fd, out_msg_.data() + sent, replies - sent, MSG_DONTWAIT);
            if (k <= 0) break;  // socket buffer full: UDP may drop, the client retries
            sent += k;
        }
        if (n < kBatch) break;
    }
    wait();
}

bool UdpListener::unwrap_proxy(std::span<const uint8_t>& query, const sockaddr*& client) {
    const sockaddr* peer = client;
    std::size_t payload = 0;
    auto outcome =
        proxy_datagram(*proxy_, peer, query, proxy_header_, client, payload, proxy_error_);
    if (outcome != ProxyOutcome::direct && outcome != ProxyOutcome::proxied) {
        server::proxy_dropped(peer, "udp", proxy_error_);
        return false;
    }
    query = query.subspan(payload);
    return true;
}

void UdpListener::send_late_reply(const sockaddr_storage& peer, socklen_t peer_len,
                                  std::span<const uint8_t> reply) {
    if (reply.empty()) return;
    ::sendto(socket_.native_handle(), reply.data(), reply.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&peer), peer_len);
}

}  // namespace port53::transports
