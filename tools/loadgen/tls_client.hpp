// DoT's client side (RFC 7858): one OpenSSL context for all connections, no certificate
// check unless a CA file is given (the lab's certificate is self-signed), ALPN "dot", and
// the latest session ticket kept so that new connections resume (RFC 8446 §2.2).
#pragma once
#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

namespace port53::loadgen {

class TlsClient {
  public:
    // nullptr (and `error` set) if the context cannot be made or the CA file not read.
    static std::unique_ptr<TlsClient> make(const std::string& ca_file, const std::string& sni,
                                           const std::string& server_ip, std::string& error);
    TlsClient() = default;
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    // A new client SSL on `fd`, offering the latest session if there is one.
    SSL* connect(int fd);
    void keep_session(SSL_SESSION* s);  // takes the reference
    bool has_session();

  private:
    SSL_CTX* ctx_ = nullptr;
    std::string sni_;
    std::string ip_;
    bool verify_ = false;
    std::mutex mu_;
    SSL_SESSION* session_ = nullptr;
};

}  // namespace port53::loadgen
