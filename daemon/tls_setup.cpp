#include "daemon/tls_setup.hpp"

#include "base/log.hpp"

namespace port53::daemon {

TlsContexts load_tls(const conf::Config& c) {
    TlsContexts t;
    if (c.tls.certificate.empty()) return t;
    t.dot = std::make_unique<transports::TlsContext>(c.tls.certificate, c.tls.private_key,
                                                     std::vector<std::string>{"dot"});
    t.doh = std::make_unique<transports::TlsContext>(c.tls.certificate, c.tls.private_key,
                                                     std::vector<std::string>{"h2", "http/1.1"});
    return t;
}

void reload_tls(TlsContexts& tls, const char* why) {
    try {
        if (tls.dot) tls.dot->reload();
        if (tls.doh) tls.doh->reload();
        if (tls.dot) P53_LOG(info, why << ": certificate and key reloaded");
    } catch (const std::exception& e) {
        P53_LOG(error, why << ": keeping the old certificate: " << e.what());
    }
}

}  // namespace port53::daemon
