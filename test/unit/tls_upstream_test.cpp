// DNS over TLS to an upstream resolver, against a real DoT server on 127.0.0.1 (OpenSSL on
// both ends, port53's own server-side TLS context) with a throwaway CA made by the openssl
// tool: the right name is answered over one reused connection; a wrong name, an unknown CA
// or a server without a configured name fail, and then the server never sees a query, over
// TLS or in plain text on the same port.
#include "upstream/tls_upstream.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "helpers.hpp"
#include "transports/tls_context.hpp"
#include "upstream/asio_network.hpp"
#include "wire/message.hpp"

using namespace port53;
using namespace port53::test;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// A CA, a server certificate for DNS name dot.test signed by it, and a second CA that
// signed nothing here.
struct TestPki {
    std::filesystem::path dir;
    TestPki() {
        char tmpl[] = "/tmp/p53-tls-upstream-test-XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        dir = tmpl;
        std::string script = "cd " + dir.string() + R"( && (
          for ca in ca other; do
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
              -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=port53 test $ca"
          done
          openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
            -out server.csr -subj "/CN=port53 test DoT server"
          printf 'subjectAltName=DNS:dot.test\nextendedKeyUsage=serverAuth\n' > ext.cnf
          openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -out server.pem -extfile ext.cnf) >/dev/null 2>&1)";
        REQUIRE(std::system(script.c_str()) == 0);
    }
    ~TestPki() { std::filesystem::remove_all(dir); }
    std::string path(const char* name) const { return (dir / name).string(); }
};

std::vector<uint8_t> answer_to(std::span<const uint8_t> query) {
    wire::Message q = wire::parse_message(query).value();
    wire::MessageBuilder b;
    b.header(q.id, wire::flag::QR | wire::flag::RD | wire::flag::RA);
    b.question(q.questions[0].name, q.questions[0].type, q.questions[0].cls);
    b.add(wire::Section::answer, a("www.example.", "192.0.2.80"));
    return b.take();
}

// A DoT server on 127.0.0.1 (its own thread and io_context): answers every framed query,
// counting connections and queries. A UDP socket on the same port number catches any
// plain-DNS query.
struct DotServer {
    transports::TlsContext tls;
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    uint16_t port = acceptor.local_endpoint().port();
    int udp = -1;
    std::atomic<int> handshakes{0}, queries{0};
    std::thread thread;

    explicit DotServer(const TestPki& pki)
        : tls(pki.path("server.pem"), pki.path("server.key"), {"dot"}) {
        udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in a = ipv4_client("127.0.0.1");
        a.sin_port = htons(port);
        REQUIRE(bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        asio::co_spawn(io, accept_loop(), asio::detached);
        thread = std::thread([this] { io.run(); });
    }
    ~DotServer() {
        io.stop();
        thread.join();
        close(udp);
    }
    bool plain_query_seen() const {
        uint8_t buf[512];
        return recv(udp, buf, sizeof buf, 0) > 0;
    }
    upstream::ServerAddr addr() const {
        auto s = *upstream::ServerAddr::parse("127.0.0.1");
        s.port = port;
        return s;
    }

  private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
            s.set_option(tcp::no_delay(true));  // no Nagle delay in the measured times
            asio::co_spawn(io, serve(std::move(s)), asio::detached);
        }
    }
    asio::awaitable<void> serve(tcp::socket s) {
        boost::system::error_code ec;
        auto redirect = asio::redirect_error(asio::use_awaitable, ec);
        auto ctx = tls.current();
        asio::ssl::stream<tcp::socket> stream(std::move(s), *ctx);
        co_await stream.async_handshake(asio::ssl::stream_base::server, redirect);
        if (ec) co_return;
        ++handshakes;
        for (;;) {
            uint8_t len[2];
            co_await asio::async_read(stream, asio::buffer(len), redirect);
            std::vector<uint8_t> q(ec ? 0 : wire::load16(len));
            if (!ec) co_await asio::async_read(stream, asio::buffer(q), redirect);
            if (ec) co_return;
            ++queries;
            auto r = answer_to(q);
            wire::store16(len, static_cast<uint16_t>(r.size()));
            r.insert(r.begin(), len, len + 2);
            co_await asio::async_write(stream, asio::buffer(r), redirect);
            if (ec) co_return;
        }
    }
};

// `count` queries one after the other in one io_context (one worker).
std::vector<upstream::ExchangeResult> ask(upstream::AsioNetwork& net, upstream::ServerAddr server,
                                          int count) {
    asio::io_context io;
    std::vector<upstream::ExchangeResult> out;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < count; ++i) {
                auto q = test::query("www.example.", wire::type::A, static_cast<uint16_t>(100 + i));
                out.push_back(co_await net.exchange(server, q, upstream::Proto::tls,
                                                    std::chrono::milliseconds(3000)));
            }
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    io.run();
    return out;
}

upstream::TlsUpstreamSettings settings_for(const DotServer& srv, const std::string& name,
                                           const std::string& ca) {
    upstream::TlsUpstreamSettings s;
    s.auth_names[srv.addr()] = name;
    s.ca_file = ca;
    return s;
}

}  // namespace

TEST_CASE("DoT upstream: the right name is answered over one reused connection", "[dot]") {
    TestPki pki;
    DotServer srv(pki);
    upstream::AsioNetwork net(std::nullopt, std::nullopt);
    net.configure_tls(settings_for(srv, "dot.test", pki.path("ca.pem")));
    auto res = ask(net, srv.addr(), 3);
    for (const auto& r : res) {
        REQUIRE(r.status == upstream::ExchangeResult::Status::ok);
        CHECK(wire::parse_message(r.response).value().answer.size() == 1);
    }
    CHECK(srv.queries == 3);
    CHECK(srv.handshakes == 1);
    CHECK(net.tls()->connections_opened() == 1);
    // Cold (TCP and TLS handshakes) against reused; printed for the record.
    WARN("DoT exchange on loopback: cold " << res[0].rtt.count() << " us, reused "
                                           << res[1].rtt.count() << " us, " << res[2].rtt.count()
                                           << " us");
    CHECK_FALSE(srv.plain_query_seen());
}

TEST_CASE("DoT upstream: a new connection resumes the TLS session", "[dot]") {
    TestPki pki;
    DotServer srv(pki);
    upstream::AsioNetwork net(std::nullopt, std::nullopt);
    auto s = settings_for(srv, "dot.test", pki.path("ca.pem"));
    s.idle_timeout = std::chrono::milliseconds(0);  // no reuse: every query connects
    net.configure_tls(std::move(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    auto first = ask(net, srv.addr(), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    auto second = ask(net, srv.addr(), 1);
    REQUIRE(first[0].status == upstream::ExchangeResult::Status::ok);
    REQUIRE(second[0].status == upstream::ExchangeResult::Status::ok);
    CHECK(net.tls()->connections_opened() == 2);
    CHECK(net.tls()->sessions_resumed() == 1);
    WARN("DoT exchange on loopback: full handshake " << first[0].rtt.count() << " us, resumed "
                                                     << second[0].rtt.count() << " us");
}

TEST_CASE("DoT upstream fails closed on a wrong name or CA and without a name", "[dot]") {
    TestPki pki;
    DotServer srv(pki);
    upstream::AsioNetwork net(std::nullopt, std::nullopt);
    SECTION("a certificate for another name") {
        net.configure_tls(settings_for(srv, "other.test", pki.path("ca.pem")));
    }
    SECTION("a certificate from a CA we do not trust") {
        net.configure_tls(settings_for(srv, "dot.test", pki.path("other.pem")));
    }
    SECTION("the system's store does not know the test CA") {
        net.configure_tls(settings_for(srv, "dot.test", ""));
    }
    SECTION("a server without an authentication name") {
        net.configure_tls(settings_for(srv, "", pki.path("ca.pem")));
    }
    SECTION("no DoT configured at all") {}
    auto res = ask(net, srv.addr(), 2);
    for (const auto& r : res) CHECK(r.status == upstream::ExchangeResult::Status::error);
    CHECK(srv.queries == 0);
    CHECK(srv.handshakes == 0);
    CHECK_FALSE(srv.plain_query_seen());
}

TEST_CASE("DoT upstream: an unreadable CA file is refused up front", "[dot]") {
    upstream::TlsUpstreamSettings s;
    s.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_AS(upstream::TlsUpstream(s), upstream::TlsUpstreamError);
}
