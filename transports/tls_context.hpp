// TLS server contexts for DoT and DoH: certificate chain and key loaded from PEM files,
// TLS 1.2 and 1.3 only, session resumption, ALPN. Reloadable on SIGHUP: a connection keeps
// the context it was accepted with (shared ownership), new connections get the new one.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace port53::transports {

struct TlsError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class TlsContext {
  public:
    // `alpn`: protocols the server accepts, in order of preference ("dot"; "h2", "http/1.1").
    // Throws TlsError naming the file on a missing or invalid certificate or key.
    TlsContext(std::string certificate, std::string private_key,
               const std::vector<std::string>& alpn);

    std::shared_ptr<boost::asio::ssl::context> current() const;
    // Loads the files again; on failure keeps the old context and throws TlsError.
    void reload();

  private:
    std::shared_ptr<boost::asio::ssl::context> load() const;

    std::string certificate_, private_key_;
    std::string alpn_wire_;  // length-prefixed list (RFC 7301), as OpenSSL wants it
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> ctx_;
};

// The protocol the handshake chose ("" if the client offered no ALPN).
std::string negotiated_alpn(const SSL* ssl);

}  // namespace port53::transports
