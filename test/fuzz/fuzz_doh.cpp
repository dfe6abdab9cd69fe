// libFuzzer target: the DoH request decoding (path, query string, base64url, percent
// escapes, JSON API parameters, content type, body) and what runs on its output: padding,
// JSON rendering, TTL scan (checked against the full parser), X-Forwarded-For. Input layout: one
// byte picks the method, then "target\ncontent-type\nx-forwarded-for\n" and the rest is the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "transports/dns_json.hpp"
#include "transports/doh_request.hpp"
#include "transports/doh_response.hpp"
#include "transports/edns_padding.hpp"
#include "transports/forwarded_for.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/opt_view.hpp"

namespace {

std::string_view next_line(std::string_view& in) {
    std::size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace port53::transports;
    if (size == 0) return 0;
    static constexpr std::string_view kMethods[] = {"GET", "POST", "HEAD", "PUT", "get", ""};
    std::string_view method = kMethods[data[0] % std::size(kMethods)];
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string_view target = next_line(rest);
    std::string_view content_type = next_line(rest);
    std::string_view xff = next_line(rest);
    std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(rest.data()), rest.size());

    DohDecoded d = decode_doh_request({method, target, content_type, body}, "/dns-query");
    if (d.status == 200) {
        // The decoded query as if it came back as an answer: every consumer of a reply
        // must cope with whatever a client managed to smuggle through.
        has_padding_option(d.query);
        std::vector<uint8_t> copy = d.query;
        pad_reply(copy);
        doh_answer(DohKind::json, copy);
        doh_answer(DohKind::dns_message, d.query);
        // The Cache-Control scan walks the wire; where the full parser reads the message,
        // both must find the same smallest TTL.
        if (auto m = port53::wire::parse_message(d.query)) {
            std::optional<uint32_t> min;
            for (const auto* section : {&m->answer, &m->authority, &m->additional})
                for (const auto& r : *section) min = std::min(min.value_or(r.ttl), r.ttl);
            if (min != port53::wire::smallest_ttl(d.query)) __builtin_trap();
        }
    } else {
        doh_error(d);
    }
    static const std::vector<boost::asio::ip::address> proxies{
        boost::asio::ip::make_address("127.0.0.1")};
    // The proxy-header line goes in as both kinds, and as a lone Forwarded header.
    auto peer = boost::asio::ip::make_address("127.0.0.1");
    forwarded_client(peer, ProxyHeaders{{xff}, {}}, proxies);
    forwarded_client(peer, ProxyHeaders{{}, {xff}}, proxies);
    forwarded_client(peer, ProxyHeaders{{xff, xff}, {xff}}, proxies);
    return 0;
}
