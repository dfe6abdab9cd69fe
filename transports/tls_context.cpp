#include "transports/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>

#include "base/openssl_error.hpp"

namespace port53::transports {
namespace ssl = boost::asio::ssl;
using base::openssl_error;

namespace {

void check_readable(const std::string& path, const char* what) {
    if (path.empty()) throw TlsError(std::string("no ") + what + " file configured");
    std::ifstream in(path);
    if (!in) throw TlsError(path + ": cannot read the " + what + " file");
}

// ALPN selection (RFC 7301): the first of our protocols the client also offers. A client
// offering only protocols we do not speak fails the handshake (no_application_protocol);
// a client offering none is served (NOACK) since many DoT stubs send no ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
    const auto* ours = static_cast<const std::string*>(arg);
    unsigned char* selected = nullptr;
    int r = SSL_select_next_proto(&selected, outlen,
                                  reinterpret_cast<const unsigned char*>(ours->data()),
                                  static_cast<unsigned>(ours->size()), in, inlen);
    if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsContext::TlsContext(std::string certificate, std::string private_key,
                       const std::vector<std::string>& alpn)
    : certificate_(std::move(certificate)), private_key_(std::move(private_key)) {
    for (const auto& p : alpn) {
        alpn_wire_.push_back(static_cast<char>(p.size()));
        alpn_wire_ += p;
    }
    ctx_ = load();
}

std::shared_ptr<ssl::context> TlsContext::load() const {
    check_readable(certificate_, "certificate");
    check_readable(private_key_, "private key");
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* raw = ctx->native_handle();
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    SSL_CTX_set_options(
        raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(raw, certificate_.c_str()) != 1)
        throw TlsError(certificate_ + ": invalid certificate: " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(raw, private_key_.c_str(), SSL_FILETYPE_PEM) != 1)
        throw TlsError(private_key_ + ": invalid private key: " + openssl_error());
    if (SSL_CTX_check_private_key(raw) != 1)
        throw TlsError(private_key_ + ": private key does not match " + certificate_);
    // Resumption both ways: a server-side session cache (TLS 1.2 IDs) and session tickets
    // (on by default; TLS 1.3 uses them). One context serves every worker, so a client is
    // resumed whichever worker's socket the kernel hands its next connection to.
    SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_SERVER);
    static const unsigned char kSessionId[] = "port53";
    SSL_CTX_set_session_id_context(raw, kSessionId, sizeof kSessionId - 1);
    SSL_CTX_sess_set_cache_size(raw, 20'000);
    SSL_CTX_set_timeout(raw, 7200);
    SSL_CTX_set_alpn_select_cb(raw, select_alpn, const_cast<std::string*>(&alpn_wire_));
    return ctx;
}

std::shared_ptr<ssl::context> TlsContext::current() const {
    std::lock_guard lock(mutex_);
    return ctx_;
}

void TlsContext::reload() {
    auto fresh = load();
    std::lock_guard lock(mutex_);
    ctx_ = std::move(fresh);
}

std::string negotiated_alpn(const SSL* ssl) {
    const unsigned char* p = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl, &p, &len);
    return p ? std::string(reinterpret_cast<const char*>(p), len) : std::string();
}

}  // namespace port53::transports
