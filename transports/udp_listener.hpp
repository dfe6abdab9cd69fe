// DNS over UDP on one worker: its own SO_REUSEPORT socket, read and written in batches
// (recvmmsg/sendmmsg) when the io_context reports it readable.
#pragma once
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <string>

#include "server/front_door.hpp"
#include "transports/proxy_policy.hpp"

namespace port53::transports {

class UdpListener {
  public:
    // `acl`: this address's own access list (null: the server's); `view`: the view it
    // serves (0: none); `proxy`: who may lead datagrams with a PROXY v2 header (null: no
    // header expected).
    UdpListener(boost::asio::io_context& io, const boost::asio::ip::udp::endpoint& ep,
                server::FrontDoor& front_door, const server::Acl* acl = nullptr,
                server::ViewId view = 0, std::shared_ptr<const server::ProxyTrust> proxy = nullptr);
    void start();
    // Stops reading (a reload removed the address), on its worker. Replies still due go
    // nowhere; the object must stay until its io_context is gone (they refer to it).
    void close() {
        boost::system::error_code ec;
        socket_.close(ec);
    }
    // Where it listens (port 0 asked for: the port the kernel chose).
    boost::asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }

  private:
    static constexpr int kBatch = 32;
    static constexpr std::size_t kMaxDatagram = 4096;

    void wait();
    void on_readable();
    // With a proxy policy: strips the datagram's header, pointing `client` at the client
    // it names; false: drop the datagram (logged).
    bool unwrap_proxy(std::span<const uint8_t>& query, const sockaddr*& client);
    void send_late_reply(const sockaddr_storage& peer, socklen_t peer_len,
                         std::span<const uint8_t> reply);

    boost::asio::ip::udp::socket socket_;
    server::FrontDoor& front_door_;
    const server::Acl* acl_;
    server::ViewId view_;
    std::shared_ptr<const server::ProxyTrust> proxy_;
    ProxyHeader proxy_header_;  // the current datagram's; its client outlives handle_slow()'s copy
    std::string proxy_error_;   // capacity kept: a flood of bad headers allocates once
    // Receive and send batches, reused for every wake-up: no allocation per datagram.
    std::array<std::array<uint8_t, kMaxDatagram>, kBatch> in_buf_, out_buf_;
    std::array<sockaddr_storage, kBatch> in_peer_, out_peer_;
    std::array<iovec, kBatch> in_iov_, out_iov_;
    std::array<mmsghdr, kBatch> in_msg_, out_msg_;
};

}  // namespace port53::transports
