#include "daemon/ctl_tls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace port53::ctl {
namespace {

struct Fd {
    int fd = -1;
    Fd() = default;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};
using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using Ssl = std::unique_ptr<SSL, decltype(&SSL_free)>;

// OpenSSL's reason for the last failure (certificate, alert from the daemon, ...).
std::string ssl_error(const SSL* ssl = nullptr) {
    if (ssl && SSL_get_verify_result(ssl) != X509_V_OK)
        return std::string("server certificate: ") +
               X509_verify_cert_error_string(SSL_get_verify_result(ssl));
    char buf[256] = "unknown TLS error";
    if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

// Connected with a timeout on every send and receive (Linux applies SO_SNDTIMEO to
// connect too): a daemon that does not answer cannot hang a script.
bool connect_to(const TlsTarget& t, Fd& s, std::string& why) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (inet_pton(AF_INET, t.ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(t.port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, t.ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(t.port);
        len = sizeof *v6;
    }
    s.fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval timeout{10, 0};
    bool ok = s.fd >= 0 &&
              setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == 0 &&
              setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) == 0 &&
              ::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    if (!ok) why = std::strerror(errno);
    return ok;
}

// Client certificate and key, the CA for the server's, TLS 1.2 or later.
Ctx client_context(const TlsTarget& t, std::string& why) {
    Ctx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    if (!ctx) {
        why = ssl_error();
        return ctx;
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const std::pair<bool, std::string> steps[] = {
        {SSL_CTX_load_verify_locations(ctx.get(), t.ca.c_str(), nullptr) == 1, "--ca " + t.ca},
        {SSL_CTX_use_certificate_chain_file(ctx.get(), t.cert.c_str()) == 1, "--cert " + t.cert},
        {SSL_CTX_use_PrivateKey_file(ctx.get(), t.key.c_str(), SSL_FILETYPE_PEM) == 1,
         "--key " + t.key},
        {SSL_CTX_check_private_key(ctx.get()) == 1, "--key " + t.key + " (not --cert's key)"}};
    for (const auto& [ok, what] : steps) {
        if (!ok) {
            why = what + ": " + ssl_error();
            return Ctx(nullptr, SSL_CTX_free);
        }
    }
    return ctx;
}

std::string talk(SSL* ssl, const std::string& line, std::string& why) {
    std::string msg = line + "\n", reply;
    if (SSL_connect(ssl) != 1 || SSL_write(ssl, msg.data(), static_cast<int>(msg.size())) <= 0) {
        why = ssl_error(ssl);
        return reply;
    }
    char buf[4096];
    int n = 0;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) reply.append(buf, n);
    // TLS 1.3: a daemon that refuses our certificate says so only now, with an alert.
    if (reply.empty() && SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN) why = ssl_error(ssl);
    SSL_shutdown(ssl);
    return reply;
}

}  // namespace

std::optional<TlsTarget> parse_tls_target(const std::string& text) {
    auto at = text.rfind('@');
    if (at == std::string::npos) return std::nullopt;
    TlsTarget t;
    t.ip = text.substr(0, at);
    if (t.ip.size() > 2 && t.ip.front() == '[' && t.ip.back() == ']')
        t.ip = t.ip.substr(1, t.ip.size() - 2);
    unsigned char buf[16];
    int port = 0;
    try {
        port = std::stoi(text.substr(at + 1));
    } catch (const std::exception&) {
        return std::nullopt;
    }
    bool ip =
        inet_pton(AF_INET, t.ip.c_str(), buf) == 1 || inet_pton(AF_INET6, t.ip.c_str(), buf) == 1;
    if (!ip || port < 1 || port > 65535) return std::nullopt;
    t.port = static_cast<uint16_t>(port);
    return t;
}

std::string tls_exchange(const TlsTarget& t, const std::string& line, bool& reached) {
    reached = false;
    std::string where = "port53-ctl: " + t.ip + "@" + std::to_string(t.port) + ": ", why;
    Ctx ctx = client_context(t, why);
    if (!ctx) return "port53-ctl: " + why;
    Fd s;
    if (!connect_to(t, s, why))
        return where + why + " (is port53d running with [control] tls_listen?)";
    Ssl ssl(SSL_new(ctx.get()), SSL_free);
    // The daemon is who it claims only if its certificate names the address we dialled.
    if (!ssl || SSL_set_fd(ssl.get(), s.fd) != 1 ||
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), t.ip.c_str()) != 1)
        return where + ssl_error();
    std::string reply = talk(ssl.get(), line, why);
    reached = !reply.empty();
    return reached ? reply : where + "TLS: " + (why.empty() ? "no answer" : why);
}

}  // namespace port53::ctl
