// PROXY v2 on the real listeners (transports/proxy_policy.hpp, proxy_stream.hpp), against
// the fake front door of transports_bench.hpp: which client the front door is given, what
// is dropped, and whose share of connections a proxied connection takes.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "server/proxy_trust.hpp"
#include "transports/proxy_header.hpp"
#include "transports/proxy_policy.hpp"
#include "transports_bench.hpp"

using namespace port53;
using namespace port53::test::bench;

namespace {

// A PROXY v2 header naming `client` (port 4242) as connecting to 127.0.0.1:53.
std::string proxy_header(const char* client, bool datagram) {
    sockaddr_in c = test::ipv4_client(client), d = test::ipv4_client("127.0.0.1");
    c.sin_port = htons(4242);
    d.sin_port = htons(53);
    return transports::make_proxy_header(reinterpret_cast<const sockaddr*>(&c),
                                         reinterpret_cast<const sockaddr*>(&d), datagram);
}

std::vector<uint8_t> joined(const std::string& header, const std::vector<uint8_t>& message) {
    std::vector<uint8_t> out(header.begin(), header.end());
    out.insert(out.end(), message.begin(), message.end());
    return out;
}

}  // namespace

TEST_CASE("PROXY v2: a trusted proxy's header names the client; without one it is dropped",
          "[transports][proxy]") {
    SelfSignedCert cert;
    transports::TlsContext tls(cert.cert, cert.key, {"dot"});
    transports::TcpSettings tcp_settings;
    transports::DotDohSettings dot_settings;
    auto proxy =
        std::make_shared<const server::ProxyTrust>(std::vector<std::string>{"127.0.0.0/24"});
    Worker w;
    auto& udp = w.listen<transports::UdpListener>(asio::ip::udp::endpoint(kLoopback, 0),
                                                  w.front_door, nullptr, 0, proxy);
    auto& tcp =
        w.listen<transports::TcpListener>(asio::ip::tcp::endpoint(kLoopback, 0), w.front_door,
                                          tcp_settings, w.connections, nullptr, 0, proxy);
    auto& dot = w.listen<transports::DotDohListener>(asio::ip::tcp::endpoint(kLoopback, 0),
                                                     transports::Frontend::dot, w.front_door, &tls,
                                                     dot_settings, w.connections, 0, proxy);
    w.run();
    Fd u{client_socket(SOCK_DGRAM, udp.local_endpoint().port())};
    auto send_udp = [&](const std::vector<uint8_t>& d) { send(u.fd, d.data(), d.size(), 0); };
    auto q1 = test::query("fast.example.", wire::type::A, 1);
    send_udp(joined(proxy_header("192.0.2.7", true), q1));
    CHECK(udp_receive(u.fd) == answer(q1, kFastRcode));  // to the proxy, with no header
    CHECK(w.front_door.last_client() == inet_addr("192.0.2.7"));

    // No header, then a malformed one (version 1): both dropped, the next one answered.
    auto bad = joined(proxy_header("192.0.2.7", true), test::query("fast.example.", 1, 3));
    bad[12] = 0x11;
    send_udp(test::query("fast.example.", wire::type::A, 2));
    send_udp(bad);
    send_udp(joined(proxy_header("192.0.2.9", true), test::query("fast.example.", 1, 4)));
    CHECK(id_of(udp_receive(u.fd)) == 4);
    CHECK(w.front_door.last_client() == inet_addr("192.0.2.9"));

    for (bool over_tls : {false, true}) {
        uint16_t port = over_tls ? dot.local_endpoint().port() : tcp.local_endpoint().port();
        StreamClient c(port, over_tls, proxy_header("198.51.100.5", false));
        REQUIRE(c.send(framed(test::query("fast.example.", wire::type::A, 5))));
        CHECK(id_of(c.read_frame()) == 5);
        CHECK(w.front_door.last_client() == inet_addr("198.51.100.5"));
    }
    StreamClient missing(tcp.local_endpoint().port(), false);
    missing.send(framed(test::query("fast.example.", wire::type::A, 6)));
    CHECK(missing.read_frame().empty());  // closed unanswered
}

TEST_CASE("PROXY v2: a header from a sender not trusted is dropped, the sender served as itself",
          "[transports][proxy]") {
    transports::TcpSettings tcp_settings;
    auto proxy = std::make_shared<const server::ProxyTrust>(std::vector<std::string>{"127.0.0.2"});
    Worker w;
    auto& udp = w.listen<transports::UdpListener>(asio::ip::udp::endpoint(kLoopback, 0),
                                                  w.front_door, nullptr, 0, proxy);
    auto& tcp =
        w.listen<transports::TcpListener>(asio::ip::tcp::endpoint(kLoopback, 0), w.front_door,
                                          tcp_settings, w.connections, nullptr, 0, proxy);
    w.run();
    Fd u{client_socket(SOCK_DGRAM, udp.local_endpoint().port())};
    auto forged = joined(proxy_header("192.0.2.7", true), test::query("fast.example.", 1, 1));
    send(u.fd, forged.data(), forged.size(), 0);
    auto q = test::query("fast.example.", wire::type::A, 2);
    send(u.fd, q.data(), q.size(), 0);
    CHECK(id_of(udp_receive(u.fd)) == 2);
    CHECK(w.front_door.last_client() == htonl(INADDR_LOOPBACK));

    StreamClient forging(tcp.local_endpoint().port(), false, proxy_header("192.0.2.7", false));
    forging.send(framed(test::query("fast.example.", wire::type::A, 3)));
    CHECK(forging.read_frame().empty());
    StreamClient direct(tcp.local_endpoint().port(), false);
    REQUIRE(direct.send(framed(test::query("fast.example.", wire::type::A, 4))));
    CHECK(id_of(direct.read_frame()) == 4);
    CHECK(w.front_door.last_client() == htonl(INADDR_LOOPBACK));
}

TEST_CASE("PROXY v2: a proxied connection takes its real client's share, a wait counts in the cap",
          "[transports][proxy]") {
    transports::ClientConnections per_client(1);
    transports::TcpSettings shared, capped;
    shared.per_client = &per_client;
    capped.max_connections = 1;
    std::atomic<std::size_t> capped_open{0};
    auto proxy = std::make_shared<const server::ProxyTrust>(std::vector<std::string>{"127.0.0.1"});
    Worker w;
    auto& tcp =
        w.listen<transports::TcpListener>(asio::ip::tcp::endpoint(kLoopback, 0), w.front_door,
                                          shared, w.connections, nullptr, 0, proxy);
    auto& tcp_capped =
        w.listen<transports::TcpListener>(asio::ip::tcp::endpoint(kLoopback, 0), w.front_door,
                                          capped, capped_open, nullptr, 0, proxy);
    w.run();
    auto served = [](StreamClient& c, uint16_t id) {
        return c.send(framed(test::query("fast.example.", wire::type::A, id))) &&
               id_of(c.read_frame()) == id;
    };
    uint16_t port = tcp.local_endpoint().port();
    StreamClient a(port, false, proxy_header("192.0.2.1", false));
    REQUIRE(served(a, 1));
    StreamClient b(port, false, proxy_header("192.0.2.2", false));
    CHECK(served(b, 2));  // the same proxy, another client: its own share
    StreamClient a_again(port, false, proxy_header("192.0.2.1", false));
    CHECK_FALSE(served(a_again, 3));  // 192.0.2.1 has its one

    StreamClient waiting(tcp_capped.local_endpoint().port(), false);  // no header yet
    for (int i = 0; i < 500 && capped_open.load() == 0; ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(capped_open.load() == 1);
    StreamClient over(tcp_capped.local_endpoint().port(), false, proxy_header("192.0.2.3", false));
    CHECK_FALSE(served(over, 4));
}
