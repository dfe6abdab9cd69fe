#include "transports/proxy_stream.hpp"

#include <sys/socket.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <string>

namespace port53::transports {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kFixed = 16;  // signature, version/command, family, length (section 2.2)

// One connection waiting for its header (or, from a sender not trusted, its first bytes).
class HeaderRead : public std::enable_shared_from_this<HeaderRead> {
  public:
    HeaderRead(PendingStream pending, std::shared_ptr<const server::ProxyTrust> policy,
               std::atomic<std::size_t>& open, std::string_view what, ProxiedStream then)
        : socket_(std::move(pending.socket)),
          timer_(socket_.get_executor()),
          peer_(pending.peer),
          slot_(std::move(pending.slot)),
          counted_(open),
          policy_(std::move(policy)),
          what_(what),
          then_(std::move(then)) {}

    void start(std::chrono::milliseconds timeout) {
        timer_.expires_after(timeout);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;  // cancelled: the header came in time
            self->timed_out_ = true;
            boost::system::error_code ignored;
            self->socket_.close(ignored);  // the pending read ends with operation_aborted
        });
        if (server::proxy_trusted(*policy_, peer_.data()))
            read(0, kFixed);
        else
            peek();
    }

  private:
    void read(std::size_t have, std::size_t want) {
        asio::async_read(
            socket_, asio::buffer(buf_.data() + have, want - have),
            [self = shared_from_this(), want](boost::system::error_code ec, std::size_t) {
                self->on_read(ec, want);
            });
    }

    void on_read(boost::system::error_code ec, std::size_t have) {
        if (ec) {
            // A peer that closes without a word (a port check) is not worth a line.
            if (timed_out_) drop("no PROXY header in time");
            return;
        }
        std::span<const uint8_t> data(buf_.data(), have);
        if (!starts_like_proxy_header(data))
            return drop("no PROXY header from a proxy in proxy_protocol.from");
        ProxyHeader header;
        std::string error;
        switch (parse_proxy_header(data, header, error)) {
            case ProxyParse::incomplete:  // the fixed part is in: its length says how much more
                return read(have, kFixed + (std::size_t{buf_[14]} << 8 | buf_[15]));
            case ProxyParse::invalid:
                return drop(error);
            case ProxyParse::ok:
                break;
        }
        tcp::endpoint client = peer_;
        if (header.has_client) {  // LOCAL: the proxy's own connection (a health check)
            std::size_t len =
                header.client.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
            std::memcpy(client.data(), &header.client, len);
            client.resize(len);
        }
        hand_on(client);
    }

    // Not a trusted proxy: served as itself unless it starts with a header (section 2.2's
    // signature was chosen never to begin a valid request of another protocol).
    void peek() {
        socket_.async_wait(tcp::socket::wait_read,
                           [self = shared_from_this()](boost::system::error_code ec) {
                               if (!ec) self->on_peekable();
                           });
    }

    void on_peekable() {
        std::array<uint8_t, sizeof kProxyV2Signature> first{};
        ssize_t n =
            ::recv(socket_.native_handle(), first.data(), first.size(), MSG_PEEK | MSG_DONTWAIT);
        if (n > 0 && starts_like_proxy_header({first.data(), static_cast<std::size_t>(n)}))
            return drop("PROXY header from a sender not in proxy_protocol.from");
        hand_on(peer_);
    }

    void hand_on(const tcp::endpoint& client) {
        timer_.cancel();
        then_(std::move(socket_), client, std::move(slot_));
    }

    void drop(std::string_view why) {
        timer_.cancel();
        server::proxy_dropped(peer_.data(), what_, why);
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    tcp::socket socket_;
    asio::steady_timer timer_;
    tcp::endpoint peer_;
    std::unique_ptr<ClientSlot> slot_;
    ConnectionSlot counted_;  // the wait counts towards the cap of its kind
    std::shared_ptr<const server::ProxyTrust> policy_;
    std::string what_;
    ProxiedStream then_;
    bool timed_out_ = false;
    std::array<uint8_t, kProxyV2MaxLength> buf_{};
};

}  // namespace

void read_proxy_header(PendingStream pending, std::shared_ptr<const server::ProxyTrust> policy,
                       std::chrono::milliseconds timeout, std::atomic<std::size_t>& open,
                       std::string_view what, ProxiedStream then) {
    auto read = std::make_shared<HeaderRead>(std::move(pending), std::move(policy), open, what,
                                             std::move(then));
    read->start(timeout);
}

}  // namespace port53::transports
