// The transports' test bench (test/unit/transports_test.cpp, proxy_listener_test.cpp): real
// listeners on 127.0.0.1 against a fake front door that answers deterministically. The fake
// answers a query whose first label is "slow" only when the test says so, drops one starting
// with "drop", and answers anything else at once; an answer is the query with QR set and
// RCODE 0 (fast) or 3 (completed slow).
#pragma once
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
#include "transports/tcp_listener.hpp"
#include "transports/tls_context.hpp"
#include "transports/udp_listener.hpp"

namespace port53::test::bench {
namespace asio = boost::asio;
using server::ClientTransport;
using server::FrontDoor;
using namespace std::chrono_literals;

inline constexpr uint8_t kFastRcode = 0, kSlowRcode = 3;

inline bool first_label_is(std::span<const uint8_t> q, std::string_view label) {
    return q.size() > wire::kHeaderSize + label.size() && q[wire::kHeaderSize] == label.size() &&
           std::memcmp(&q[wire::kHeaderSize + 1], label.data(), label.size()) == 0;
}

inline std::vector<uint8_t> answer(std::span<const uint8_t> q, uint8_t rcode) {
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

inline const auto kLoopback = asio::ip::make_address("127.0.0.1");

// A blocking client socket that gives up after 5 s instead of hanging the test.
inline int client_socket(int type, uint16_t port) {
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

inline uint16_t id_of(const std::vector<uint8_t>& m) {
    return m.size() >= 2 ? wire::load16(m.data()) : 0;
}
inline uint8_t rcode_of(const std::vector<uint8_t>& m) {
    return m.size() >= 4 ? m[3] & 0x0F : 0xFF;
}

inline std::vector<uint8_t> udp_receive(int fd) {
    std::vector<uint8_t> buf(4096);
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
}

inline std::vector<uint8_t> framed(const std::vector<uint8_t>& m) {
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

}  // namespace port53::test::bench
