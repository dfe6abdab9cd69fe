#include "transports/forwarded_for.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace port53::transports {
namespace ip = boost::asio::ip;

namespace {

bool is_trusted(const ip::address& a, const std::vector<ip::address>& trusted) {
    return std::find(trusted.begin(), trusted.end(), a) != trusted.end();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Field lines of one header make one comma-separated list (RFC 9110 §5.3).
std::vector<std::string_view> elements(const std::vector<std::string_view>& lines) {
    std::vector<std::string_view> out;
    for (std::string_view line : lines) {
        for (std::size_t start = 0;;) {
            std::size_t comma = line.find(',', start);
            out.push_back(trim(line.substr(start, comma - start)));
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// RFC 7239 §4-6: the for= node of one element: "192.0.2.60", "192.0.2.60:4711",
// "[2001:db8::17]:4711" (quoted when it has a colon or brackets). Empty if absent.
std::string_view for_node(std::string_view element) {
    for (std::size_t start = 0; start <= element.size();) {
        std::size_t semi = element.find(';', start);
        std::string_view pair = trim(element.substr(start, semi - start));
        std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && iequals(trim(pair.substr(0, eq)), "for")) {
            std::string_view v = trim(pair.substr(eq + 1));
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            return v;
        }
        if (semi == std::string_view::npos) break;
        start = semi + 1;
    }
    return {};
}

std::optional<ip::address> parse_node(std::string_view v) {
    if (!v.empty() && v.front() == '[') {  // [IPv6] with an optional :port
        std::size_t close = v.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        v = v.substr(1, close - 1);
    } else if (std::count(v.begin(), v.end(), ':') == 1) {  // IPv4:port
        v = v.substr(0, v.find(':'));
    }
    boost::system::error_code ec;
    ip::address a = ip::make_address(std::string(v), ec);
    if (ec) return std::nullopt;
    return a;
}

}  // namespace

std::optional<ip::address> forwarded_client(const ip::address& peer, const ProxyHeaders& headers,
                                            const std::vector<ip::address>& trusted) {
    bool xff = !headers.x_forwarded_for.empty(), fwd = !headers.forwarded.empty();
    if (!is_trusted(peer, trusted) || (!xff && !fwd)) return peer;
    if (xff && fwd) return std::nullopt;
    auto hops = elements(fwd ? headers.forwarded : headers.x_forwarded_for);
    ip::address client = peer;
    for (auto it = hops.rbegin(); it != hops.rend() && is_trusted(client, trusted); ++it) {
        auto next = parse_node(fwd ? for_node(*it) : *it);
        if (!next) return std::nullopt;  // refuse rather than fall back to the proxy's address
        client = *next;
    }
    return client;
}

}  // namespace port53::transports
