#include "transports/proxy_header.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace port53::transports;

namespace {

sockaddr_storage v4(const char* ip, uint16_t port) {
    sockaddr_storage s{};
    auto& a = reinterpret_cast<sockaddr_in&>(s);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return s;
}

sockaddr_storage v6(const char* ip, uint16_t port) {
    sockaddr_storage s{};
    auto& a = reinterpret_cast<sockaddr_in6&>(s);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return s;
}

std::vector<uint8_t> bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

ProxyParse parse(const std::vector<uint8_t>& b, ProxyHeader& h) {
    std::string error;
    return parse_proxy_header(b, h, error);
}

std::string ip_of(const sockaddr_storage& s) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* a =
        s.ss_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(s).sin_addr)
            : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(s).sin6_addr);
    inet_ntop(s.ss_family, a, text, sizeof text);
    return text;
}

}  // namespace

TEST_CASE("PROXY v2: IPv4 and IPv6 clients, UDP and TCP, with the payload after", "[proxy]") {
    auto c = v4("192.0.2.7", 40000), d = v4("198.51.100.53", 53);
    auto b = bytes(
        make_proxy_header(reinterpret_cast<sockaddr*>(&c), reinterpret_cast<sockaddr*>(&d), true) +
        "DNS");
    ProxyHeader h;
    REQUIRE(parse(b, h) == ProxyParse::ok);
    CHECK(h.length == 28);
    CHECK(h.has_client);
    CHECK(h.datagram);
    CHECK(ip_of(h.client) == "192.0.2.7");
    CHECK(ntohs(reinterpret_cast<sockaddr_in&>(h.client).sin_port) == 40000);
    CHECK(ip_of(h.destination) == "198.51.100.53");
    CHECK(std::string(b.begin() + 28, b.end()) == "DNS");

    auto c6 = v6("2001:db8::7", 1234), d6 = v6("2001:db8::53", 853);
    b = bytes(make_proxy_header(reinterpret_cast<sockaddr*>(&c6), reinterpret_cast<sockaddr*>(&d6),
                                false));
    REQUIRE(parse(b, h) == ProxyParse::ok);
    CHECK(h.length == 52);
    CHECK_FALSE(h.datagram);
    CHECK(ip_of(h.client) == "2001:db8::7");
    CHECK(ntohs(reinterpret_cast<sockaddr_in6&>(h.destination).sin6_port) == 853);
}

TEST_CASE("PROXY v2: every prefix of a header is incomplete, never wrong", "[proxy]") {
    auto c = v4("192.0.2.7", 40000), d = v4("198.51.100.53", 53);
    auto full = bytes(
        make_proxy_header(reinterpret_cast<sockaddr*>(&c), reinterpret_cast<sockaddr*>(&d), false));
    for (std::size_t n = 0; n < full.size(); ++n) {
        ProxyHeader h;
        CAPTURE(n);
        CHECK(parse({full.begin(), full.begin() + static_cast<long>(n)}, h) ==
              ProxyParse::incomplete);
    }
}

TEST_CASE("PROXY v2: LOCAL, UNSPEC and UNIX name no client; TLVs are checked", "[proxy]") {
    auto c = v4("192.0.2.7", 40000), d = v4("198.51.100.53", 53);
    auto b = bytes(
        make_proxy_header(reinterpret_cast<sockaddr*>(&c), reinterpret_cast<sockaddr*>(&d), false));
    ProxyHeader h;
    b[12] = 0x20;  // LOCAL: a health check from the proxy itself
    REQUIRE(parse(b, h) == ProxyParse::ok);
    CHECK_FALSE(h.has_client);
    b[12] = 0x21;
    b[13] = 0x01;  // UNSPEC family
    REQUIRE(parse(b, h) == ProxyParse::ok);
    CHECK_FALSE(h.has_client);
    // A TLV (type 0x04 NOOP, 2 bytes) after the addresses: length grows by 5.
    b[13] = 0x11;
    b[15] = 12 + 5;
    for (uint8_t x : {0x04, 0x00, 0x02, 0xAA, 0xBB}) b.push_back(x);
    REQUIRE(parse(b, h) == ProxyParse::ok);
    CHECK(h.length == 33);
    CHECK(h.has_client);
    b[15] = 12 + 4;  // the TLV now runs past the header
    b.pop_back();
    std::string error;
    CHECK(parse_proxy_header(b, h, error) == ProxyParse::invalid);
    CHECK(error == "malformed PROXY TLV");
}

TEST_CASE("PROXY v2: what is not a good header is refused with a reason", "[proxy]") {
    auto c = v4("192.0.2.7", 40000), d = v4("198.51.100.53", 53);
    auto good = bytes(
        make_proxy_header(reinterpret_cast<sockaddr*>(&c), reinterpret_cast<sockaddr*>(&d), false));
    struct Case {
        std::size_t at;
        uint8_t value;
        const char* why;
    };
    for (const Case& k :
         {Case{0, 0x0E, "no PROXY v2 signature"}, Case{12, 0x11, "PROXY header version is not 2"},
          Case{12, 0x22, "unknown PROXY command"}, Case{13, 0x41, "unknown PROXY address family"},
          Case{13, 0x13, "unknown PROXY address family"},
          Case{13, 0x21, "PROXY address block too short"},  // INET6 in 12
          Case{14, 0xFF, "PROXY header too long"}}) {
        auto b = good;
        b[k.at] = k.value;
        ProxyHeader h;
        std::string error;
        CAPTURE(k.why);
        CHECK(parse_proxy_header(b, h, error) == ProxyParse::invalid);
        CHECK(error == k.why);
    }
    // A DNS query is no header (its first byte is the ID's): refused at once.
    std::vector<uint8_t> query = {0x12, 0x34, 0x01, 0x00};
    ProxyHeader h;
    CHECK(parse(query, h) == ProxyParse::invalid);
}
