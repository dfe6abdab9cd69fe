#include "local/special_use.hpp"

#include <algorithm>
#include <stdexcept>

#include "wire/zone_file.hpp"

namespace port53::local {
using namespace wire;

namespace {

// RFC 6761 §6 (test., localhost., invalid.), RFC 6762 §3 (local.: mDNS, asked on port 5353,
// never of the DNS), RFC 7686 (onion.), RFC 8375 (home.arpa.), RFC 9462 (resolver.arpa.).
const char* const kSpecialNames[] = {"localhost.", "test.",      "invalid.",      "local.",
                                     "onion.",     "home.arpa.", "resolver.arpa."};

// RFC 6303 §4: reverse zones of addresses that are private, local or special, which no public
// server can answer, plus the documentation ranges (RFC 5737, RFC 3849) as Unbound has them.
std::vector<std::string> reverse_zone_names() {
    std::vector<std::string> out = {
        "0.in-addr.arpa.",
        "10.in-addr.arpa.",
        "127.in-addr.arpa.",
        "254.169.in-addr.arpa.",
        "168.192.in-addr.arpa.",
        "2.0.192.in-addr.arpa.",
        "100.51.198.in-addr.arpa.",
        "113.0.203.in-addr.arpa.",
        "255.255.255.255.in-addr.arpa.",
        "d.f.ip6.arpa.",
        "8.e.f.ip6.arpa.",
        "9.e.f.ip6.arpa.",
        "a.e.f.ip6.arpa.",
        "b.e.f.ip6.arpa.",
        "8.b.d.0.1.0.0.2.ip6.arpa.",
    };
    for (int i = 16; i <= 31; ++i) out.push_back(std::to_string(i) + ".172.in-addr.arpa.");
    for (int i = 64; i <= 127; ++i) out.push_back(std::to_string(i) + ".100.in-addr.arpa.");
    // ::1 and :: (RFC 6303 §4.3, §4.4): the whole 32-nibble names.
    std::string zeros;
    for (int i = 0; i < 31; ++i) zeros += "0.";
    out.push_back("1." + zeros + "ip6.arpa.");
    out.push_back("0." + zeros + "ip6.arpa.");
    return out;
}

// RFC 6761 §6.3: localhost. and every name below it are the loopback address; the reverse
// names of the loopback addresses say so too.
const char* const kLoopbackData = R"(
localhost. 10800 IN NS localhost.
localhost. 10800 IN A 127.0.0.1
localhost. 10800 IN AAAA ::1
1.0.0.127.in-addr.arpa. 10800 IN PTR localhost.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. 10800 IN PTR localhost.
)";

Name parsed(const std::string& text) {
    auto n = Name::from_text(text);
    if (!n) throw std::invalid_argument("not a domain name: " + text);
    return *n;
}

}  // namespace

std::vector<std::string> special_use_zone_names() {
    std::vector<std::string> out(std::begin(kSpecialNames), std::end(kSpecialNames));
    for (auto& r : reverse_zone_names()) out.push_back(std::move(r));
    return out;
}

void add_special_use_zones(LocalZones& zones, const std::vector<std::string>& disabled) {
    auto all = special_use_zone_names();
    std::vector<Name> off;
    for (const auto& d : disabled) {
        Name n = parsed(d);
        if (std::none_of(all.begin(), all.end(), [&](const auto& a) { return parsed(a) == n; }))
            throw std::invalid_argument(d + " is not one of the default local zones");
        off.push_back(n);
    }
    for (const auto& text : all) {
        Name apex = parsed(text);
        if (std::find(off.begin(), off.end(), apex) != off.end()) continue;
        // RFC 9462 §4: without designated resolvers (DDR answers _dns.resolver.arpa. before
        // these zones when it is on), every name of resolver.arpa. is NODATA.
        ZoneKind kind = apex == parsed("localhost.")       ? ZoneKind::redirect
                        : apex == parsed("resolver.arpa.") ? ZoneKind::always_nodata
                                                           : ZoneKind::static_zone;
        zones.add_zone(apex, kind);
    }
    for (const auto& r : parse_zone_text(kLoopbackData, "built-in loopback names")) {
        bool in_zone = false;
        for (const auto& text : all) {
            Name apex = parsed(text);
            if (r.owner.is_subdomain_of(apex))
                in_zone = std::find(off.begin(), off.end(), apex) == off.end();
        }
        if (in_zone) zones.add_record(r);
    }
}

}  // namespace port53::local
