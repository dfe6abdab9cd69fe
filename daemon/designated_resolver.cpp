#include "daemon/designated_resolver.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "base/log.hpp"
#include "local/local_source.hpp"

namespace port53::daemon {

namespace {

// The subjectAltName entries of a PEM file's first certificate: DNS names and IP addresses
// (in inet_ntop form). Empty if the file cannot be read (TLS set-up reports that).
struct CertificateNames {
    std::vector<std::string> dns, ips;
};

CertificateNames certificate_names(const std::string& path) {
    CertificateNames out;
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "r"), &std::fclose);
    if (!f) return out;
    std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr),
                                                &X509_free);
    if (!cert) return out;
    std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> names(
        static_cast<GENERAL_NAMES*>(
            X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)),
        &GENERAL_NAMES_free);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
        if (g->type != GEN_DNS && g->type != GEN_IPADD) continue;
        const ASN1_STRING* s = g->type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;
        std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<std::size_t>(ASN1_STRING_length(s)));
        if (g->type == GEN_DNS) {
            out.dns.push_back(bytes);
            continue;
        }
        char text[INET6_ADDRSTRLEN] = {};
        int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
        if (family && inet_ntop(family, bytes.data(), text, sizeof text)) out.ips.push_back(text);
    }
    return out;
}

// The same address, whatever its spelling ("::1" and "0:0::1").
bool same_ip(const std::string& a, const std::string& b) {
    unsigned char x[16] = {}, y[16] = {};
    int fa = a.find(':') == std::string::npos ? AF_INET : AF_INET6;
    int fb = b.find(':') == std::string::npos ? AF_INET : AF_INET6;
    return fa == fb && inet_pton(fa, a.c_str(), x) == 1 && inet_pton(fb, b.c_str(), y) == 1 &&
           std::equal(x, x + 16, y);
}

std::vector<local::ListenPoint> listen_points(const std::vector<std::string>& listen) {
    std::vector<local::ListenPoint> out;
    for (const auto& l : listen) {
        conf::ListenAddress a = conf::parse_listen_address(l);  // checked when the file was read
        out.push_back({a.ip, a.port});
    }
    return out;
}

// RFC 9462 §4.2: a client verifies the designated resolver's certificate holds the IP address
// it sent the discovery query to. Port-53 addresses missing from it are worth a warning.
void warn_unverifiable(const conf::Config& cfg, const CertificateNames& names) {
    for (const auto& p : listen_points(cfg.server.listen)) {
        if (p.ip == "0.0.0.0" || p.ip == "::") continue;
        bool held = std::any_of(names.ips.begin(), names.ips.end(),
                                [&](const std::string& ip) { return same_ip(ip, p.ip); });
        if (!held)
            P53_LOG(warning, "DDR: the certificate has no IP address "
                                 << p.ip << ": clients asking there will not verify the "
                                 << "designated resolver (RFC 9462 §4.2) and stay on port 53");
    }
}

}  // namespace

namespace {

std::string name_from(const conf::Config& cfg, const CertificateNames& names) {
    if (!cfg.ddr.name.empty()) return cfg.ddr.name;
    for (const auto& n : names.dns)
        if (!n.empty() && n[0] != '*') return n;  // a wildcard names no host
    return "";
}

}  // namespace

std::string resolver_name(const conf::Config& cfg) {
    if (!cfg.ddr.name.empty() || cfg.tls.certificate.empty()) return cfg.ddr.name;
    return name_from(cfg, certificate_names(cfg.tls.certificate));
}

std::optional<local::DesignatedEndpoints> designated_endpoints(const conf::Config& cfg) {
    if (!cfg.ddr.enabled || cfg.tls.certificate.empty()) return std::nullopt;
    CertificateNames names = certificate_names(cfg.tls.certificate);
    std::string name = name_from(cfg, names);  // the file read once
    if (name.empty()) {
        P53_LOG(warning, "DDR off: the certificate holds no DNS name and ddr.name is empty");
        return std::nullopt;
    }
    warn_unverifiable(cfg, names);
    return local::DesignatedEndpoints{name, listen_points(cfg.tls.dot_listen),
                                      listen_points(cfg.tls.doh_listen), cfg.tls.dot_doh.doh_path,
                                      cfg.ddr.ttl};
}

std::shared_ptr<const local::LocalZones> add_designated_source(engine::Engine& engine,
                                                               local::DesignatedEndpoints endpoints,
                                                               const std::string& doh_path) {
    endpoints.doh_path = doh_path;
    try {
        auto zones = local::designated_resolver_zones(endpoints);
        engine.add_source(std::make_unique<local::LocalSource>(zones));
        return zones;
    } catch (const std::invalid_argument& e) {
        P53_LOG(warning, e.what() << "; no DDR records for it");
        return nullptr;
    }
}

}  // namespace port53::daemon
