#include "tools/loadgen/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace port53::loadgen {

namespace {

// New session tickets (TLS 1.3 sends them after the handshake) go to the TlsClient that
// owns the context.
int on_new_session(SSL* ssl, SSL_SESSION* sess) {
    auto* self = static_cast<TlsClient*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    self->keep_session(sess);
    return 1;  // the reference is ours now
}

}  // namespace

std::unique_ptr<TlsClient> TlsClient::make(const std::string& ca_file, const std::string& sni,
                                           const std::string& server_ip, std::string& error) {
    auto c = std::make_unique<TlsClient>();
    c->ctx_ = SSL_CTX_new(TLS_client_method());
    if (!c->ctx_) {
        error = "SSL_CTX_new failed";
        return nullptr;
    }
    SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
    SSL_CTX_set_mode(c->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    static const unsigned char alpn[] = {3, 'd', 'o', 't'};
    SSL_CTX_set_alpn_protos(c->ctx_, alpn, sizeof alpn);
    SSL_CTX_set_session_cache_mode(c->ctx_,
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_set_app_data(c->ctx_, c.get());
    SSL_CTX_sess_set_new_cb(c->ctx_, on_new_session);
    if (!ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(c->ctx_, ca_file.c_str(), nullptr) != 1) {
            error = "cannot read the CA file " + ca_file;
            return nullptr;
        }
        SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
        c->verify_ = true;
    }
    c->sni_ = sni;
    c->ip_ = server_ip;
    return c;
}

TlsClient::~TlsClient() {
    if (session_) SSL_SESSION_free(session_);
    if (ctx_) SSL_CTX_free(ctx_);
}

void TlsClient::keep_session(SSL_SESSION* s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_) SSL_SESSION_free(session_);
    session_ = s;
}

bool TlsClient::has_session() {
    std::lock_guard<std::mutex> lock(mu_);
    return session_ != nullptr;
}

SSL* TlsClient::connect(int fd) {
    SSL* ssl = SSL_new(ctx_);
    if (!ssl) return nullptr;
    SSL_set_fd(ssl, fd);
    SSL_set_connect_state(ssl);
    if (!sni_.empty()) SSL_set_tlsext_host_name(ssl, sni_.c_str());
    if (verify_) {
        // the name given, else the address connected to (RFC 7858 §4.2 authentication)
        if (!sni_.empty()) {
            SSL_set1_host(ssl, sni_.c_str());
        } else {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip_.c_str());
        }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!session_) return ssl;
    // Each connection gets its own copy: OpenSSL updates a client's session in place when
    // a ticket arrives on it, and connections sharing one object raced on that.
    SSL_SESSION* copy = SSL_SESSION_dup(session_);
    SSL_set_session(ssl, copy ? copy : session_);
    if (copy) SSL_SESSION_free(copy);  // the SSL holds its own reference
    return ssl;
}

}  // namespace port53::loadgen
