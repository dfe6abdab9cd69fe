// The real transports on 127.0.0.1 against a fake front door that answers deterministically:
// what the transports themselves do (framing, pipelining, late answers, dropped queries),
// apart from any resolution. The fake answers a query whose first label is "slow" only when
// the test says so, drops one starting with "drop", and answers anything else at once; an
// answer is the query with QR set and RCODE 0 (fast) or 3 (completed slow).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "server/front_door.hpp"
#include "transports/dot_doh_listener.hpp"
#include "transports/proxy_header.hpp"
#include "transports/proxy_policy.hpp"
#include "transports/tcp_listener.hpp"
#include "transports/tls_context.hpp"
#include "transports/udp_listener.hpp"

using namespace port53;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using server::ClientTransport;
using server::FrontDoor;

namespace {

constexpr uint8_t kFastRcode = 0, kSlowRcode = 3;

bool first_label_is(std::span<const uint8_t> q, std::string_view label) {
    return q.size() > wire::kHeaderSize + label.size() && q[wire::kHeaderSize] == label.size() &&
           std::memcmp(&q[wire::kHeaderSize + 1], label.data(), label.size()) == 0;
}

std::vector<uint8_t> answer(std::span<const uint8_t> q, uint8_t rcode) {
    std::vector<uint8_t> a(q.begin(), q.end());
    a[2] |= 0x80;
    a[3] = static_cast<uint8_t>((a[3] & 0xF0) | rcode);
    return a;
}

class FakeFrontDoor final : public FrontDoor {
  public:
    Fast handle_fast(std::span<const uint8_t> query, std::span<uint8_t> out, std::size_t& out_len,
                     ClientTransport t, const sockaddr* client, const server::Acl*,
                     server::ViewId view) override {
        std::lock_guard lock(mutex_);
        transports_.push_back(t);
        views_.push_back(view);
        if (client && client->sa_family == AF_INET)
            last_client_ = reinterpret_cast<const sockaddr_in*>(client)->sin_addr.s_addr;
        if (first_label_is(query, "drop")) return Fast::drop;
        if (first_label_is(query, "slow")) return Fast::resolve;
        auto a = answer(query, kFastRcode);
        REQUIRE(a.size() <= out.size());
        std::copy(a.begin(), a.end(), out.begin());
        out_len = a.size();
        return Fast::answered;
    }
    void handle_slow(std::span<const uint8_t> query, ClientTransport t, asio::any_io_executor ex,
                     Done done, const sockaddr*, server::ViewId view) override {
        std::lock_guard lock(mutex_);
        views_.push_back(view);
        pending_.push_back({answer(query, kSlowRcode), std::move(ex), std::move(done)});
    }

    // Waits (briefly) until `n` slow queries are waiting.
    bool wait_pending(std::size_t n) {
        for (auto deadline = std::chrono::steady_clock::now() + 5s;
             std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(1ms)) {
            std::lock_guard lock(mutex_);
            if (pending_.size() >= n) return true;
        }
        return false;
    }
    // Completes the waiting slow queries, newest first, each on its transport's executor.
    void complete_newest_first() {
        std::lock_guard lock(mutex_);
        while (!pending_.empty()) {
            auto p = std::move(pending_.back());
            pending_.pop_back();
            asio::post(p.ex,
                       [reply = std::move(p.reply), done = std::move(p.done)] { done(reply); });
        }
    }
    void forget_pending() {
        std::lock_guard lock(mutex_);
        pending_.clear();
    }
    std::vector<ClientTransport> transports() {
        std::lock_guard lock(mutex_);
        return transports_;
    }
    in_addr_t last_client() {
        std::lock_guard lock(mutex_);
        return last_client_;
    }
    // The view hints handle_fast and handle_slow were given, in order.
    std::vector<server::ViewId> views() {
        std::lock_guard lock(mutex_);
        return views_;
    }

  private:
    struct Pending {
        std::vector<uint8_t> reply;
        asio::any_io_executor ex;
        Done done;
    };
    std::mutex mutex_;
    std::vector<Pending> pending_;
    std::vector<ClientTransport> transports_;
    std::vector<server::ViewId> views_;
    in_addr_t last_client_ = 0;
};

// One worker: listeners on an io_context run by its own thread. The thread stops (and the
// fake's pending completions, which keep connections alive, go) before the listeners and
// the context; settings the listeners refer to must be declared before the Worker.
struct Worker {
    FakeFrontDoor front_door;
    std::atomic<std::size_t> connections{0};
    asio::io_context io;
    std::vector<std::shared_ptr<void>> listeners;
    std::thread thread;

    template <typename Listener, typename... Args>
    Listener& listen(Args&&... args) {
        auto l = std::make_shared<Listener>(io, std::forward<Args>(args)...);
        l->start();
        listeners.push_back(l);
        return *l;
    }
    void run() {
        thread = std::thread([this] { io.run(); });
    }
    ~Worker() {
        io.stop();
        if (thread.joinable()) thread.join();
        front_door.forget_pending();
    }
};

const auto kLoopback = asio::ip::make_address("127.0.0.1");

// A blocking client socket that gives up after 5 s instead of hanging the test.
int client_socket(int type, uint16_t port) {
    int fd = socket(AF_INET, type, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in to = test::ipv4_client("127.0.0.1");
    to.sin_port = htons(port);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    return fd;
}

struct Fd {
    int fd;
    ~Fd() { close(fd); }
};

uint16_t id_of(const std::vector<uint8_t>& m) {
    return m.size() >= 2 ? wire::load16(m.data()) : 0;
}
uint8_t rcode_of(const std::vector<uint8_t>& m) {
    return m.size() >= 4 ? m[3] & 0x0F : 0xFF;
}

std::vector<uint8_t> udp_receive(int fd) {
    std::vector<uint8_t> buf(4096);
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
}

std::vector<uint8_t> framed(const std::vector<uint8_t>& m) {
    std::vector<uint8_t> out(2);
    wire::store16(out.data(), static_cast<uint16_t>(m.size()));
    out.insert(out.end(), m.begin(), m.end());
    return out;
}

// A byte stream to the listener: plain TCP or TLS over the same socket, after `prefix` (a
// PROXY header) if given.
class StreamClient {
  public:
    StreamClient(uint16_t port, bool tls, const std::string& prefix = {})
        : fd_{client_socket(SOCK_STREAM, port)} {
        if (!prefix.empty()) REQUIRE(::send(fd_.fd, prefix.data(), prefix.size(), 0) > 0);
        if (!tls) return;
        ctx_ = SSL_CTX_new(TLS_client_method());  // no verification: a self-signed test cert
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd_.fd);
        REQUIRE(SSL_connect(ssl_) == 1);
    }
    ~StreamClient() {
        if (ssl_) SSL_free(ssl_);
        if (ctx_) SSL_CTX_free(ctx_);
    }
    // False if the server has closed the connection.
    bool send(const std::vector<uint8_t>& bytes) {
        int n = ssl_ ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                     : static_cast<int>(::send(fd_.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL));
        return n == static_cast<int>(bytes.size());
    }
    bool read_exact(uint8_t* p, std::size_t n) {
        while (n > 0) {
            int k = ssl_ ? SSL_read(ssl_, p, static_cast<int>(n))
                         : static_cast<int>(recv(fd_.fd, p, n, 0));
            if (k <= 0) return false;
            p += k;
            n -= static_cast<std::size_t>(k);
        }
        return true;
    }
    // One DNS message off the stream (RFC 7766 §8: two-byte length, then the message).
    std::vector<uint8_t> read_frame() {
        uint8_t len[2];
        if (!read_exact(len, 2)) return {};
        std::vector<uint8_t> m(wire::load16(len));
        if (!read_exact(m.data(), m.size())) return {};
        return m;
    }
    std::string read_to_end() {
        std::string out;
        uint8_t c;
        while (read_exact(&c, 1)) out.push_back(static_cast<char>(c));
        return out;
    }

  private:
    Fd fd_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
};

// A self-signed P-256 certificate and its key, as PEM files in a fresh directory.
struct SelfSignedCert {
    std::filesystem::path dir, cert, key;
    SelfSignedCert() {
        char tmpl[] = "/tmp/p53-transports-test-XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        dir = tmpl;
        cert = dir / "cert.pem";
        key = dir / "key.pem";
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k(
            EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
        std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
        REQUIRE((k && x));
        ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
        X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
        X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
        X509_set_pubkey(x.get(), k.get());
        X509_NAME* name = X509_get_subject_name(x.get());
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
        X509_set_issuer_name(x.get(), name);
        REQUIRE(X509_sign(x.get(), k.get(), EVP_sha256()) > 0);
        write(cert, [&](FILE* f) { return PEM_write_X509(f, x.get()); });
        write(key, [&](FILE* f) {
            return PEM_write_PrivateKey(f, k.get(), nullptr, nullptr, 0, nullptr, nullptr);
        });
    }
    ~SelfSignedCert() { std::filesystem::remove_all(dir); }
    template <typename F>
    static void write(const std::filesystem::path& p, F pem) {
        FILE* f = std::fopen(p.c_str(), "w");
        REQUIRE(f);
        int ok = pem(f);
        std::fclose(f);
        REQUIRE(ok == 1);
    }
};

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
        std::make_shared<const transports::ProxyPolicy>(std::vector<std::string>{"127.0.0.0/24"});
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
    auto proxy =
        std::make_shared<const transports::ProxyPolicy>(std::vector<std::string>{"127.0.0.2"});
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
