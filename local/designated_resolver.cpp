#include "local/designated_resolver.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

#include "wire/zone_file.hpp"

namespace port53::local {

namespace {

// One port an encrypted transport listens on, with the specific addresses it listens on there.
struct Endpoint {
    bool dot = false;
    unsigned port = 0;
    std::vector<std::string> v4, v6;
};

// One listen point into the endpoint list, grouped by port; a wildcard address (0.0.0.0, ::)
// says nothing about where a client should connect, so it is no hint.
void add_listener(std::vector<Endpoint>& out, bool dot, const ListenPoint& l) {
    unsigned char buf[16] = {};
    bool v4 = inet_pton(AF_INET, l.ip.c_str(), buf) == 1;
    if (!v4 && inet_pton(AF_INET6, l.ip.c_str(), buf) != 1)
        throw std::invalid_argument("DDR: not an IP address: " + l.ip);
    Endpoint* e = nullptr;
    for (auto& have : out)
        if (have.dot == dot && have.port == l.port) e = &have;
    if (!e) e = &out.emplace_back(Endpoint{dot, l.port, {}, {}});
    bool wildcard = std::all_of(buf, buf + (v4 ? 4 : 16), [](unsigned char b) { return b == 0; });
    if (!wildcard) (v4 ? e->v4 : e->v6).push_back(l.ip);
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

// RFC 9461 §4 and §5: the SvcParams of one endpoint, in presentation form.
std::string svc_params(const Endpoint& e, const std::string& doh_path) {
    std::string p = e.dot ? "alpn=dot" : "alpn=h2,http/1.1";
    p += " port=" + std::to_string(e.port);
    if (!e.v4.empty()) p += " ipv4hint=" + joined(e.v4);
    if (!e.v6.empty()) p += " ipv6hint=" + joined(e.v6);
    // The URI template's variable (RFC 6570); a path with characters that would need quoting
    // in zone-file form is refused rather than written wrongly.
    if (!e.dot) {
        if (doh_path.empty() || doh_path.front() != '/' ||
            doh_path.find_first_of(" \t\"\\;(){}") != std::string::npos)
            throw std::invalid_argument("DDR: the DoH path cannot go in a dohpath: " + doh_path);
        p += " dohpath=" + doh_path + "{?dns}";
    }
    return p;
}

}  // namespace

std::vector<wire::Record> designated_resolver_records(const DesignatedEndpoints& e) {
    auto name = wire::Name::from_text(e.name);
    if (!name || name->is_root())
        throw std::invalid_argument("DDR: not a resolver name: \"" + e.name + "\"");
    std::vector<Endpoint> endpoints;
    for (const auto& l : e.dot) add_listener(endpoints, true, l);
    for (const auto& l : e.doh) add_listener(endpoints, false, l);
    std::string target = name->to_text();
    std::string text;
    for (const std::string& o : {std::string("_dns.resolver.arpa."), "_dns." + target}) {
        unsigned priority = 0;
        for (const auto& ep : endpoints) {
            text.append(o).append(" ").append(std::to_string(e.ttl)).append(" IN SVCB ");
            text.append(std::to_string(++priority)).append(" ").append(target).append(" ");
            text.append(svc_params(ep, e.doh_path)).append("\n");
        }
    }
    try {
        return wire::parse_zone_text(text, "DDR records");
    } catch (const std::runtime_error& err) {
        throw std::invalid_argument(std::string("DDR: ") + err.what());
    }
}

std::shared_ptr<const LocalZones> designated_resolver_zones(const DesignatedEndpoints& e) {
    auto zones = std::make_shared<LocalZones>();
    for (const auto& r : designated_resolver_records(e)) zones->add_record(r);
    return zones;
}

}  // namespace port53::local
