// The real upstream socket path on loopback: a datagram that only looks like the reply
// (our own query reflected, QR=0; or a reply that does not echo our DNS cookie) must not
// end the exchange: the genuine reply that follows is the one taken.
#include "upstream/asio_network.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "helpers.hpp"
#include "upstream/cookies.hpp"
#include "wire/message.hpp"

using namespace port53;
using namespace port53::test;

namespace {

// A UDP "authority" on 127.0.0.1 that, for the one query it gets, sends `decoys` built
// from that query first, then the real reply.
struct FakeAuthority {
    int fd = -1;
    uint16_t port = 0;
    std::thread thread;
    explicit FakeAuthority(
        std::function<std::vector<std::vector<uint8_t>>(std::vector<uint8_t>)> replies) {
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a = ipv4_client("127.0.0.1");
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        thread = std::thread([this, replies] {
            std::vector<uint8_t> buf(4096);
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            ssize_t n =
                recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
            if (n <= 0) return;
            buf.resize(static_cast<std::size_t>(n));
            for (const auto& r : replies(buf))
                sendto(fd, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
        });
    }
    ~FakeAuthority() {
        thread.join();
        close(fd);
    }
};

std::vector<uint8_t> answer_to(const std::vector<uint8_t>& query, std::vector<uint8_t> options) {
    wire::Message q = wire::parse_message(query).value();
    wire::MessageBuilder b;
    b.header(q.id, wire::flag::QR | wire::flag::AA);
    b.question(q.questions[0].name, q.questions[0].type, q.questions[0].cls);
    b.add(wire::Section::answer, a("www.example.", "192.0.2.80"));
    b.add_opt(1232, false, 0, options);
    return b.take();
}

upstream::ExchangeResult exchange_with(FakeAuthority& auth, const std::vector<uint8_t>& query,
                                       upstream::AsioNetwork& net) {
    auto server = *upstream::ServerAddr::parse("127.0.0.1");
    server.port = auth.port;
    boost::asio::io_context io;
    upstream::ExchangeResult out;
    boost::asio::co_spawn(
        io, net.exchange(server, query, upstream::Proto::udp, std::chrono::milliseconds(2000)),
        [&](std::exception_ptr e, upstream::ExchangeResult r) {
            if (e) std::rethrow_exception(e);
            out = std::move(r);
        });
    io.run();
    return out;
}

}  // namespace

TEST_CASE("a reflected query (QR=0) does not end an upstream exchange", "[network]") {
    auto query = test::query("www.example.", wire::type::A, 0x5151);
    FakeAuthority auth([](std::vector<uint8_t> q) {
        return std::vector<std::vector<uint8_t>>{q, answer_to(q, {})};  // the echo, then the reply
    });
    upstream::AsioNetwork net(std::nullopt, std::nullopt);
    auto res = exchange_with(auth, query, net);
    REQUIRE(res.status == upstream::ExchangeResult::Status::ok);
    CHECK(wire::parse_message(res.response).value().answer.size() == 1);
    CHECK(net.unwanted() == 1);
}

TEST_CASE("a reply that does not echo our client cookie is skipped for the real one", "[network]") {
    std::vector<uint8_t> mine{1, 2, 3, 4, 5, 6, 7, 0x88};
    wire::MessageBuilder qb;
    qb.header(0x6161, 0);
    qb.question(N("www.example."), wire::type::A, wire::cls::IN);
    qb.add_opt(
        1232, true, 0,
        upstream::cookie_option(std::string_view(reinterpret_cast<char*>(mine.data()), 8), {}));
    auto query = qb.take();
    FakeAuthority auth([&](std::vector<uint8_t> q) {
        std::string theirs(16, 'S');
        std::string forged(reinterpret_cast<char*>(mine.data()), 8);
        forged[7] = 0x08;  // one bit off
        std::string genuine(reinterpret_cast<char*>(mine.data()), 8);
        return std::vector<std::vector<uint8_t>>{
            answer_to(q, upstream::cookie_option(forged, theirs)),
            answer_to(q, upstream::cookie_option(genuine, theirs))};
    });
    upstream::AsioNetwork net(std::nullopt, std::nullopt);
    auto res = exchange_with(auth, query, net);
    REQUIRE(res.status == upstream::ExchangeResult::Status::ok);
    auto m = wire::parse_message(res.response).value();
    REQUIRE(m.edns);
    auto c = m.edns->option(wire::edns_option::COOKIE);
    REQUIRE(c);
    CHECK(static_cast<uint8_t>((*c)[7]) == 0x88);
    CHECK(net.unwanted() == 1);
}
