#include "transports/proxy_policy.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "helpers.hpp"
#include "server/proxy_trust.hpp"

using namespace port53;
using namespace port53::transports;

namespace {

sockaddr_in at(const char* ip, uint16_t port) {
    sockaddr_in a = test::ipv4_client(ip);
    a.sin_port = htons(port);
    return a;
}

const sockaddr* sa(const sockaddr_in& a) {
    return reinterpret_cast<const sockaddr*>(&a);
}

// A header from `client` to 127.0.0.1:53, then "DNS".
std::vector<uint8_t> datagram(const char* client) {
    sockaddr_in c = at(client, 4242), d = at("127.0.0.1", 53);
    std::string h = make_proxy_header(sa(c), sa(d), true) + "DNS";
    return {h.begin(), h.end()};
}

struct Result {
    ProxyOutcome outcome;
    std::string client;  // dotted quad, or "" when dropped
    std::size_t payload = 0;
    std::string error;
};

Result run(const server::ProxyTrust& p, const char* peer, const std::vector<uint8_t>& data) {
    sockaddr_in from = at(peer, 5300);
    ProxyHeader header;
    const sockaddr* client = nullptr;
    Result r{};
    r.outcome = proxy_datagram(p, sa(from), data, header, client, r.payload, r.error);
    if (client) {
        char text[INET_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(client)->sin_addr, text,
                  sizeof text);
        r.client = text;
    }
    return r;
}

}  // namespace

TEST_CASE("proxy policy: trusted networks, IPv4-mapped senders too", "[proxy]") {
    server::ProxyTrust p({"10.1.0.0/16", "2001:db8::1"});
    sockaddr_in in = at("10.1.2.3", 1), out = at("10.2.0.1", 1);
    CHECK(p.trusted(sa(in)));
    CHECK_FALSE(p.trusted(sa(out)));
    sockaddr_in6 mapped{}, v6{};
    mapped.sin6_family = v6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:10.1.9.9", &mapped.sin6_addr);
    inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
    CHECK(p.trusted(reinterpret_cast<const sockaddr*>(&mapped)));
    CHECK(p.trusted(reinterpret_cast<const sockaddr*>(&v6)));
    CHECK_THROWS_AS(server::ProxyTrust({"10.0.0.0/33"}), std::invalid_argument);
    CHECK_FALSE(server::ProxyTrust({}).trusted(sa(in)));
}

TEST_CASE("proxy policy: what becomes of a datagram from each sender", "[proxy]") {
    server::ProxyTrust p({"127.53.0.1"});
    std::vector<uint8_t> plain{'D', 'N', 'S', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    Result proxied = run(p, "127.53.0.1", datagram("192.0.2.7"));
    CHECK(proxied.outcome == ProxyOutcome::proxied);
    CHECK(proxied.client == "192.0.2.7");
    CHECK(proxied.payload == 28);  // 16 + the IPv4 block (12): "DNS" follows

    Result direct = run(p, "127.0.0.9", plain);
    CHECK(direct.outcome == ProxyOutcome::direct);
    CHECK(direct.client == "127.0.0.9");
    CHECK(direct.payload == 0);

    Result forged = run(p, "127.0.0.9", datagram("192.0.2.7"));
    CHECK(forged.outcome == ProxyOutcome::untrusted);
    CHECK(forged.client.empty());

    CHECK(run(p, "127.53.0.1", plain).outcome == ProxyOutcome::missing);

    auto bad = datagram("192.0.2.7");
    bad[13] = 0x51;  // family 5: unknown
    Result malformed = run(p, "127.53.0.1", bad);
    CHECK(malformed.outcome == ProxyOutcome::malformed);
    CHECK(malformed.error == "unknown PROXY address family");
    auto cut = datagram("192.0.2.7");
    cut.resize(20);
    CHECK(run(p, "127.53.0.1", cut).outcome == ProxyOutcome::malformed);

    // LOCAL (a health check): the proxy is the client, the payload after the header.
    auto local = datagram("192.0.2.7");
    local[12] = 0x20;
    Result health = run(p, "127.53.0.1", local);
    CHECK(health.outcome == ProxyOutcome::proxied);
    CHECK(health.client == "127.53.0.1");
    CHECK(health.payload == 28);
}

TEST_CASE("proxy_protocol settings: networks and listen addresses are checked", "[proxy][config]") {
    auto error_of = [](const std::string& text) -> std::string {
        try {
            conf::parse_config(text, "test.toml");
        } catch (const conf::ConfigError& e) {
            return e.what();
        }
        return "";
    };
    conf::Config c = conf::parse_config(
        "[server]\nlisten = [\"127.0.0.1:53\"]\n"
        "[proxy_protocol]\nfrom = [\"10.0.0.0/8\"]\nlisteners = [\"127.0.0.1:53\"]\n",
        "x.toml");
    CHECK(c.proxy_protocol.from == std::vector<std::string>{"10.0.0.0/8"});
    CHECK(conf::parse_config("", "x.toml").proxy_protocol.from.empty());
    CHECK(error_of("[proxy_protocol]\nfrom = [\"10.0.0.0/99\"]\n")
              .rfind("test.toml:2: proxy_protocol.from: not an address or NET/LEN", 0) == 0);
    CHECK(error_of("[proxy_protocol]\nlisteners = [\"127.0.0.1:5353\"]\n")
              .rfind("test.toml:2: proxy_protocol.listeners: not a listen address", 0) == 0);
}
