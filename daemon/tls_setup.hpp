// The daemon's TLS contexts for DoT and DoH, and their reload (daemon/reload.hpp).
#pragma once
#include <memory>

#include "conf/config.hpp"
#include "transports/tls_context.hpp"

namespace port53::daemon {

// DoT and DoH contexts (ALPN differs), or none without a certificate. Throws naming the
// file when the certificate or key is missing or invalid.
struct TlsContexts {
    std::unique_ptr<transports::TlsContext> dot, doh;
};
TlsContexts load_tls(const conf::Config& c);

// A reload (SIGHUP, port53-ctl reload: daemon/reload.hpp): new certificate and key for new
// connections; open ones keep theirs. A bad file is logged and the old certificate stays in
// use. (After privileges are dropped, the files must be readable by that user.)
void reload_tls(TlsContexts& tls, const char* why);

}  // namespace port53::daemon
