// OpenSSL's reason for the last failure on this thread, for error messages and logs (the
// DoT/DoH server's certificate loading and the DoT client's handshakes).
#pragma once
#include <openssl/err.h>

#include <string>

namespace port53::base {

// Takes the oldest queued error and clears the rest.
inline std::string openssl_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

}  // namespace port53::base
