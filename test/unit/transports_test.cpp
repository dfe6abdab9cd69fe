// The real transports on 127.0.0.1 against the fake front door of transports_bench.hpp: what
// the transports themselves do (framing, pipelining, late answers, dropped queries), apart
// from any resolution.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "transports_bench.hpp"

using namespace port53;
using namespace port53::test::bench;

namespace {

// Pipelining and late answers on a stream (TCP or DoT): a fast answer overtakes slow ones
// sent before it, a length prefix split across segments still frames, a dropped query
// gets nothing, and the slow answers arrive in the order they complete.
void check_stream(Worker& w, uint16_t port, bool tls) {
    StreamClient c(port, tls);
    auto batch = framed(test::query("slow.example.", wire::type::A, 10));
    for (const auto& m : {framed(test::query("fast.example.", wire::type::A, 11)),
                          framed(test::query("slow.example.", wire::type::A, 12))})
        batch.insert(batch.end(), m.begin(), m.end());
    REQUIRE(c.send(batch));
    auto first = c.read_frame();
    REQUIRE(first.size() > wire::kHeaderSize);
    CHECK(id_of(first) == 11);
    CHECK(rcode_of(first) == kFastRcode);
    CHECK((first[2] & 0x80) != 0);

    auto split = framed(test::query("fast.example.", wire::type::AAAA, 13));
    REQUIRE(c.send({split.begin(), split.begin() + 1}));
    std::this_thread::sleep_for(20ms);
    REQUIRE(c.send({split.begin() + 1, split.end()}));
    REQUIRE(c.send(framed(test::query("drop.example.", wire::type::A, 14))));
    REQUIRE(c.send(framed(test::query("fast.example.", wire::type::A, 15))));
    CHECK(id_of(c.read_frame()) == 13);
    CHECK(id_of(c.read_frame()) == 15);

    REQUIRE(w.front_door.wait_pending(2));
    w.front_door.complete_newest_first();
    auto late1 = c.read_frame(), late2 = c.read_frame();
    CHECK(id_of(late1) == 12);
    CHECK(id_of(late2) == 10);
    CHECK(rcode_of(late1) == kSlowRcode);
    CHECK(rcode_of(late2) == kSlowRcode);
    for (auto t : w.front_door.transports())
        CHECK(t == (tls ? ClientTransport::dot : ClientTransport::tcp));
    CHECK(w.front_door.last_client() == htonl(INADDR_LOOPBACK));
}

}  // namespace

TEST_CASE("UDP listener: fast answers at once, slow ones when they complete, drops nothing sent",
          "[transports]") {
    Worker w;
    auto& udp =
        w.listen<transports::UdpListener>(asio::ip::udp::endpoint(kLoopback, 0), w.front_door);
    w.run();
    Fd c{client_socket(SOCK_DGRAM, udp.local_endpoint().port())};

    auto q = test::query("fast.example.", wire::type::A, 1);
    send(c.fd, q.data(), q.size(), 0);
    auto a = udp_receive(c.fd);
    CHECK(a == answer(q, kFastRcode));

    auto slow = test::query("slow.example.", wire::type::A, 2);
    send(c.fd, slow.data(), slow.size(), 0);
    REQUIRE(w.front_door.wait_pending(1));
    std::vector<uint8_t> none(512);
    CHECK(recv(c.fd, none.data(), none.size(), MSG_DONTWAIT) < 0);  // nothing before it resolves
    w.front_door.complete_newest_first();
    CHECK(udp_receive(c.fd) == answer(slow, kSlowRcode));

    auto drop = test::query("drop.example.", wire::type::A, 3);
    auto after = test::query("fast.example.", wire::type::A, 4);
    send(c.fd, drop.data(), drop.size(), 0);
    send(c.fd, after.data(), after.size(), 0);
    CHECK(id_of(udp_receive(c.fd)) == 4);

    for (auto t : w.front_door.transports()) CHECK(t == ClientTransport::udp);
    CHECK(w.front_door.last_client() == htonl(INADDR_LOOPBACK));
}

TEST_CASE("TCP listener: RFC 7766 framing, pipelining, answers in completion order",
          "[transports]") {
    transports::TcpSettings settings;
    Worker w;
    auto& tcp = w.listen<transports::TcpListener>(asio::ip::tcp::endpoint(kLoopback, 0),
                                                  w.front_door, settings, w.connections);
    w.run();
    check_stream(w, tcp.local_endpoint().port(), false);
}

TEST_CASE("DoT listener: the same framing and pipelining over TLS", "[transports]") {
    SelfSignedCert cert;
    transports::TlsContext tls(cert.cert, cert.key, {"dot"});
    transports::DotDohSettings settings;
    Worker w;
    auto& dot = w.listen<transports::DotDohListener>(asio::ip::tcp::endpoint(kLoopback, 0),
                                                     transports::Frontend::dot, w.front_door, &tls,
                                                     settings, w.connections);
    w.run();
    check_stream(w, dot.local_endpoint().port(), true);
}

TEST_CASE("Plain-HTTP DoH listener: a POST answered from a slow completion", "[transports]") {
    transports::DotDohSettings settings;
    Worker w;
    auto& doh = w.listen<transports::DotDohListener>(asio::ip::tcp::endpoint(kLoopback, 0),
                                                     transports::Frontend::doh_plain, w.front_door,
                                                     nullptr, settings, w.connections);
    w.run();
    StreamClient c(doh.local_endpoint().port(), false);
    auto q = test::query("slow.example.", wire::type::A, 0);
    std::string request =
        "POST /dns-query HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        "Content-Type: application/dns-message\r\nContent-Length: " +
        std::to_string(q.size()) + "\r\n\r\n";
    request.append(q.begin(), q.end());
    REQUIRE(c.send({request.begin(), request.end()}));
    REQUIRE(w.front_door.wait_pending(1));
    w.front_door.complete_newest_first();
    std::string response = c.read_to_end();
    CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    auto a = answer(q, kSlowRcode);
    CHECK(response.size() > a.size());
    CHECK(response.substr(response.size() - a.size()) == std::string(a.begin(), a.end()));
    CHECK(w.front_door.transports() == std::vector{ClientTransport::doh});
}

TEST_CASE("Stream acceptor: a kind's connection cap, and a client's share over TCP and DoH",
          "[transports]") {
    transports::ClientConnections per_client(1);
    transports::TcpSettings capped, shared;
    capped.max_connections = 1;
    shared.per_client = &per_client;
    transports::DotDohSettings doh_settings;
    doh_settings.per_client = &per_client;
    std::atomic<std::size_t> capped_open{0}, doh_open{0};
    Worker w;
    auto& tcp_capped = w.listen<transports::TcpListener>(asio::ip::tcp::endpoint(kLoopback, 0),
                                                         w.front_door, capped, capped_open);
    auto& tcp_shared = w.listen<transports::TcpListener>(asio::ip::tcp::endpoint(kLoopback, 0),
                                                         w.front_door, shared, w.connections);
    auto& doh = w.listen<transports::DotDohListener>(asio::ip::tcp::endpoint(kLoopback, 0),
                                                     transports::Frontend::doh_plain, w.front_door,
                                                     nullptr, doh_settings, doh_open);
    w.run();
    auto fast = framed(test::query("fast.example.", wire::type::A, 1));
    auto served = [&](StreamClient& c) { return c.send(fast) && id_of(c.read_frame()) == 1; };

    SECTION("over the cap of its kind, a connection is closed unserved") {
        StreamClient first(tcp_capped.local_endpoint().port(), false);
        REQUIRE(served(first));  // accepted and counted before the next one arrives
        StreamClient second(tcp_capped.local_endpoint().port(), false);
        CHECK_FALSE(served(second));
    }
    SECTION("a client's share counts its TCP and DoH connections together") {
        auto doh_get = [&] {
            StreamClient c(doh.local_endpoint().port(), false);
            std::string get =
                "GET /dns-query?dns=AAABAAABAAAAAAAABGZhc3QHZXhhbXBsZQAAAQAB "
                "HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            return c.send({get.begin(), get.end()}) ? c.read_to_end() : std::string();
        };
        auto tcp_client = std::make_unique<StreamClient>(tcp_shared.local_endpoint().port(), false);
        REQUIRE(served(*tcp_client));
        CHECK(doh_get().empty());
        tcp_client.reset();  // its slot comes free once the server sees it close
        bool admitted = false;
        for (int i = 0; i < 500 && !admitted; ++i, std::this_thread::sleep_for(10ms))
            admitted = doh_get().rfind("HTTP/1.1 200 OK\r\n", 0) == 0;
        CHECK(admitted);
    }
}

TEST_CASE("Views: a listener's view and a DoH path's view reach the front door", "[transports]") {
    transports::DotDohSettings settings;
    settings.view_paths = {{"/dns-query/kids", 3}};
    transports::TcpSettings tcp_settings;
    Worker w;
    auto& udp = w.listen<transports::UdpListener>(asio::ip::udp::endpoint(kLoopback, 0),
                                                  w.front_door, nullptr, server::ViewId{2});
    auto& doh = w.listen<transports::DotDohListener>(
        asio::ip::tcp::endpoint(kLoopback, 0), transports::Frontend::doh_plain, w.front_door,
        nullptr, settings, w.connections, server::ViewId{5});
    w.run();
    Fd u{client_socket(SOCK_DGRAM, udp.local_endpoint().port())};
    auto q = test::query("fast.example.", wire::type::A, 1);
    send(u.fd, q.data(), q.size(), 0);
    CHECK(udp_receive(u.fd) == answer(q, kFastRcode));
    CHECK(w.front_door.views() == std::vector<server::ViewId>{2});

    // The view's path wins over the listener's view; the usual path gets the listener's.
    for (const char* path : {"/dns-query/kids", "/dns-query", "/dns-query/other"}) {
        StreamClient c(doh.local_endpoint().port(), false);
        std::string request = std::string("POST ") + path +
                              " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                              "Content-Type: application/dns-message\r\nContent-Length: " +
                              std::to_string(q.size()) + "\r\n\r\n";
        request.append(q.begin(), q.end());
        REQUIRE(c.send({request.begin(), request.end()}));
        std::string response = c.read_to_end();
        CHECK(response.rfind(
                  path == std::string("/dns-query/other") ? "HTTP/1.1 404" : "HTTP/1.1 200", 0) ==
              0);
    }
    CHECK(w.front_door.views() == std::vector<server::ViewId>{2, 3, 5});
}
