// Split horizon: choosing a view, reading [[view]] tables, and answers kept per view.
#include "server/views.hpp"

#include <arpa/inet.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "conf/config.hpp"
#include "helpers.hpp"
#include "local/local_config.hpp"
#include "local/local_source.hpp"
#include "scripted_network.hpp"
#include "server/server.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;

namespace {

const sockaddr* sa(const sockaddr_in& s) {
    return reinterpret_cast<const sockaddr*>(&s);
}

std::string error_of(const std::string& text) {
    try {
        conf::parse_config(text, "test.toml");
    } catch (const conf::ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("view selection: a hint wins, then the most specific client network", "[views]") {
    server::ViewSelector s;
    CHECK(s.select(0, sa(ipv4_client("10.0.0.1"))) == 0);  // no networks: the default view
    CHECK(s.select(4, nullptr) == 4);
    s.add_clients(1, {"10.0.0.0/8", "2001:db8::/32"});
    s.add_clients(2, {"10.1.0.0/16"});
    s.add_clients(3, {"10.1.0.0/16", "192.0.2.7"});  // the same network again: the first wins
    CHECK(s.select(0, sa(ipv4_client("10.9.9.9"))) == 1);
    CHECK(s.select(0, sa(ipv4_client("10.1.2.3"))) == 2);
    CHECK(s.select(0, sa(ipv4_client("192.0.2.7"))) == 3);
    CHECK(s.select(0, sa(ipv4_client("192.0.2.8"))) == 0);
    CHECK(s.select(5, sa(ipv4_client("10.1.2.3"))) == 5);  // DoH path or listener first

    sockaddr_in6 mapped{}, v6{};
    mapped.sin6_family = v6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:10.1.0.9", &mapped.sin6_addr);
    inet_pton(AF_INET6, "2001:db8::53", &v6.sin6_addr);
    CHECK(s.select(0, reinterpret_cast<const sockaddr*>(&mapped)) == 2);
    CHECK(s.select(0, reinterpret_cast<const sockaddr*>(&v6)) == 1);
    CHECK_THROWS_AS(s.add_clients(1, {"10.0.0.0/33"}), std::invalid_argument);
}

TEST_CASE("[[view]] tables: selectors, own tables, and inheriting the top level",
          "[views][config]") {
    conf::Config c = conf::parse_config(R"(
[server]
listen = ["127.0.0.1:53", "127.0.0.2:5353"]
[local]
data = ["nas.home.arpa. 60 IN A 192.168.1.10"]
no_default = ["test."]
[blocklist]
block = ["ads.example"]
[[forward]]
zone = "corp.example"
servers = ["10.0.0.1"]
[[forward]]
zone = "lab.example"
servers = ["10.0.0.2"]

[[view]]
name = "inside"
clients = ["10.0.0.0/8"]
listeners = ["127.0.0.2:5353"]
doh_paths = ["/dns-query/inside"]
[view.local]
data = ["www.example. 60 IN A 10.0.0.80"]
[view.blocklist]
allow = ["ads.example"]
block = ["games.example"]
answer = "null"
[[view.forward]]
zone = "corp.example"
servers = ["10.9.9.9@5300"]

[[view]]
name = "guest"
inherit = false
clients = ["192.168.50.0/24"]
[[view.stub]]
zone = "guest.example"
servers = ["10.0.0.3"]
)",
                                        "test.toml");
    REQUIRE(c.views.size() == 2);
    const auto& in = c.views[0];
    CHECK(in.name == "inside");
    CHECK(in.inherit);
    CHECK(in.clients == std::vector<std::string>{"10.0.0.0/8"});
    CHECK(in.listeners == std::vector<std::string>{"127.0.0.2:5353"});
    CHECK(in.doh_paths == std::vector<std::string>{"/dns-query/inside"});
    CHECK(in.local.data == std::vector<std::string>{"www.example. 60 IN A 10.0.0.80"});
    CHECK(in.local.no_default == std::vector<std::string>{"test."});  // the top level's too
    // Lists joined (the view's allow wins over the top level's block), its answer taken.
    CHECK(in.blocklist.block == std::vector<std::string>{"ads.example", "games.example"});
    CHECK(in.blocklist.allow == std::vector<std::string>{"ads.example"});
    CHECK(in.blocklist.answer == "null");
    CHECK(in.blocklist.ttl == c.blocklist.ttl);
    // Its own corp.example route replaces the top level's; lab.example is inherited.
    REQUIRE(in.forward_zones.size() == 2);
    CHECK(in.forward_zones[0].zone == N("corp.example."));
    CHECK(in.forward_zones[0].servers.at(0).addr.port == 5300);
    CHECK(in.forward_zones[1].zone == N("lab.example."));

    const auto& guest = c.views[1];
    CHECK_FALSE(guest.inherit);
    CHECK(guest.local.data.empty());
    CHECK(guest.blocklist.block.empty());
    CHECK(guest.forward_zones.empty());
    REQUIRE(guest.stub_zones.size() == 1);
    CHECK(guest.stub_zones[0].zone == N("guest.example."));
    // The top level is untouched by its views.
    CHECK(c.local.data.size() == 1);
    CHECK(c.resolver.engine.forward_zones.at(0).servers.at(0).addr.port == 53);
}

TEST_CASE("[[view]] mistakes are refused with their line", "[views][config]") {
    CHECK(error_of("[[view]]\nclients = [\"10.0.0.0/8\"]\n") ==
          "test.toml:1: each [[view]] needs a name");
    CHECK(error_of("[[view]]\nname = \"a\"\n") ==
          "test.toml:1: view 'a': needs clients, listeners or doh_paths (it would never be "
          "chosen)");
    CHECK(error_of("[[view]]\nname = \"a\"\nclients = [\"10.0.0.0/40\"]\n") ==
          "test.toml:1: view 'a': not a network (NET/LEN or an address): 10.0.0.0/40");
    CHECK(error_of("[[view]]\nname = \"a\"\nlisteners = [\"127.0.0.9:53\"]\n") ==
          "test.toml:1: view 'a': not an address in server.listen or tls.*_listen: "
          "127.0.0.9:53");
    CHECK(error_of("[[view]]\nname = \"a\"\ndoh_paths = [\"/dns-query\"]\n") ==
          "test.toml:1: view 'a': DoH path /dns-query is tls.doh_path or the JSON API's");
    CHECK(error_of("[[view]]\nname = \"a\"\ndoh_paths = [\"/x\"]\n"
                   "[[view]]\nname = \"a\"\ndoh_paths = [\"/y\"]\n") ==
          "test.toml:4: view 'a': a second view of that name");
    CHECK(error_of("[[view]]\nname = \"a\"\ndoh_paths = [\"/x\"]\n"
                   "[[view]]\nname = \"b\"\ndoh_paths = [\"/x\"]\n") ==
          "test.toml:4: view 'b': DoH path /x belongs to another view");
    CHECK(error_of("[[view]]\nname = \"a\"\ndoh_paths = [\"/x\"]\ncolour = 1\n") ==
          "test.toml:4: unknown setting 'view.colour'");
    CHECK(error_of("[[view]]\nname = \"a\"\ndoh_paths = [\"/x\"]\n[view.local]\nzones = "
                   "[\"corp.example. sideways\"]\n")
              .rfind("test.toml:1: view 'a': local.zones:", 0) == 0);
    CHECK(error_of("[[view]]\nname = \"a\"\ndoh_paths = [\"/x\"]\n[[view.forward]]\n"
                   "zone = \"corp.example\"\n") ==
          "test.toml:4: each [[forward]] needs zone and servers");
    CHECK(error_of("[view]\nname = \"a\"\n") == "test.toml:1: views are [[view]] tables");
}

TEST_CASE("views: the same name answered per view, never from another view's cache", "[views]") {
    base::ManualClock clock;
    cache::RRsetCache rrsets{1 << 20, 2, {}};
    cache::AnswerCache answers{1 << 20, 2};
    upstream::Infra infra{{}};
    ScriptedNetwork net;  // nothing scripted: only local data answers
    engine::EngineSettings es;
    es.validate = false;
    es.prime_root = false;
    auto engine_with = [&](const char* record) {
        auto e =
            std::make_unique<engine::Engine>(es, upstream::RootHints{}, rrsets, infra, net, clock);
        local::LocalSettings ls;
        ls.data = {record};
        e->add_source(std::make_unique<local::LocalSource>(local::build_local_zones(ls)));
        return e;
    };
    auto outside = engine_with("www.corp.example. 60 IN A 192.0.2.1");
    auto inside = engine_with("www.corp.example. 60 IN A 10.0.0.80");
    server::Server server(server::ServerSettings{}, *outside, answers, clock);
    server::ViewSelector selector;
    selector.add_clients(1, {"10.0.0.0/8"});
    server.set_views(selector, {inside.get()});

    boost::asio::io_context io;
    auto ask = [&](const char* client_ip, server::ViewId hint) {
        sockaddr_in client = ipv4_client(client_ip);
        auto q = query("www.corp.example.", type::A);
        std::vector<uint8_t> out(65535);
        std::size_t len = 0;
        auto fast = server.handle_fast(q, out, len, server::ClientTransport::udp, sa(client),
                                       nullptr, hint);
        std::vector<uint8_t> reply(out.begin(), out.begin() + static_cast<long>(len));
        if (fast == server::FrontDoor::Fast::resolve) {
            server.handle_slow(
                q, server::ClientTransport::udp, io.get_executor(),
                [&](std::span<const uint8_t> r) { reply.assign(r.begin(), r.end()); }, sa(client),
                hint);
            io.restart();
            io.run();
        }
        auto msg = parse_message(reply);
        REQUIRE(msg);
        REQUIRE(msg->answer.size() == 1);
        return std::make_pair(fast == server::FrontDoor::Fast::answered, msg->answer[0].rdata);
    };
    // Inside first, then outside, then both again from the cache.
    CHECK(ask("10.1.2.3", 0) == std::make_pair(false, ipv4("10.0.0.80")));
    CHECK(ask("192.168.1.5", 0) == std::make_pair(false, ipv4("192.0.2.1")));
    CHECK(ask("10.1.2.3", 0) == std::make_pair(true, ipv4("10.0.0.80")));
    CHECK(ask("192.168.1.5", 0) == std::make_pair(true, ipv4("192.0.2.1")));
    // A listener's or DoH path's hint picks the view whatever the network.
    CHECK(ask("192.168.1.5", 1) == std::make_pair(true, ipv4("10.0.0.80")));
    CHECK(answers.entries() == 2);
}
