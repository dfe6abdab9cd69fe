// port53-ctl over TLS ([control] tls_listen): the client side, blocking, one command.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace port53::ctl {

struct TlsTarget {
    std::string ip;  // the server certificate must name it (subjectAltName IP)
    uint16_t port = 0;
    std::string cert, key;  // the client's certificate (PEM, chain) and private key
    std::string ca;         // CAs that may have signed the server's certificate
};

// "IP@PORT" ("[::1]@8953" for IPv6); nullopt if it is not one.
std::optional<TlsTarget> parse_tls_target(const std::string& text);

// Sends `line` and returns the daemon's whole answer, `reached` set; or, `reached` clear,
// a message "port53-ctl: ..." saying what failed (connection, certificate, handshake).
std::string tls_exchange(const TlsTarget& t, const std::string& line, bool& reached);

}  // namespace port53::ctl
