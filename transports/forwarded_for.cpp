#include "transports/forwarded_for.hpp"

#include <algorithm>

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

}  // namespace

ip::address forwarded_client(const ip::address& peer, std::string_view header,
                             const std::vector<ip::address>& trusted) {
    ip::address client = peer;
    while (is_trusted(client, trusted) && !header.empty()) {
        std::size_t comma = header.rfind(',');
        std::string_view hop =
            trim(comma == std::string_view::npos ? header : header.substr(comma + 1));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(0, comma);
        boost::system::error_code ec;
        ip::address next = ip::make_address(std::string(hop), ec);
        if (ec) break;
        client = next;
    }
    return client;
}

}  // namespace port53::transports
