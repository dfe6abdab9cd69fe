#include "conf/config.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "conf/console_state.hpp"

using namespace port53;
using namespace port53::conf;

namespace {
std::string error_of(const std::string& text) {
    try {
        parse_config(text, "test.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("an empty file gives the documented defaults", "[config]") {
    Config c = parse_config("", "x.toml");
    CHECK(c.server.listen == std::vector<std::string>{"127.0.0.1:53", "[::1]:53"});
    CHECK(c.server.front_door.edns_buffer_size == 1232);
    CHECK_FALSE(c.resolver.engine.allow_loopback_upstream);
    CHECK(c.resolver.root_hints.empty());
}

TEST_CASE("settings are read from their sections", "[config]") {
    Config c = parse_config(
        "[server]\nlisten = [\"127.53.0.1:5353\"]\nthreads = 3\n"
        "[cache]\nsize_mb = 8\nmax_ttl = 600\n"
        "[resolver]\nallow_loopback_upstream = true\nipv6 = false\nroot_hints = \"/x\"\n",
        "x.toml");
    CHECK(c.server.listen.at(0) == "127.53.0.1:5353");
    CHECK(c.server.threads == 3);
    CHECK(c.cache.size_mb == 8);
    CHECK(c.cache.ttl.max_ttl == 600);
    CHECK(c.resolver.engine.allow_loopback_upstream);
    CHECK_FALSE(c.resolver.engine.use_ipv6);
    CHECK(c.resolver.root_hints == "/x");
}

TEST_CASE("errors name file and line", "[config]") {
    CHECK(error_of("[server]\nthreads = \"two\"\n") ==
          "test.toml:2: server.threads must be an integer");
    CHECK(error_of("\n[cache]\nsize_mb = 0\n")
              .rfind("test.toml:3: cache.size_mb must be between", 0) == 0);
    CHECK(error_of("[server]\nbogus = 1\n") == "test.toml:2: unknown setting 'server.bogus'");
    CHECK(error_of("[server]\nlisten = [\"nonsense\"]\n")
              .rfind("test.toml:2: bad listen address", 0) == 0);
    CHECK(error_of("[server]\nlog_level = \"loud\"\n").rfind("test.toml:2:", 0) == 0);
    CHECK(error_of("[server\nthreads = 1\n").rfind("test.toml:1:", 0) == 0);
    CHECK(error_of("[resolver]\nipv4 = false\nipv6 = false\n").rfind("test.toml:2:", 0) == 0);
}

TEST_CASE("listen addresses accept IPv4 and bracketed IPv6", "[config]") {
    CHECK(parse_listen_address("127.0.0.1").port == 53);
    CHECK(parse_listen_address("[::1]:5353").ip == "::1");
    CHECK(parse_listen_address("::1").ip == "::1");
    CHECK_THROWS(parse_listen_address("localhost:53"));
    CHECK_THROWS(parse_listen_address("127.0.0.1:99999"));
}

TEST_CASE("the reference lists every setting with its default", "[config]") {
    std::string ref = config_reference();
    CHECK(ref.find("| `server.listen` | array of strings | `[\"127.0.0.1:53\", \"[::1]:53\"]`") !=
          std::string::npos);
    CHECK(ref.find("`resolver.allow_loopback_upstream` | boolean | `false`") != std::string::npos);
}

TEST_CASE("access rules are checked with their line", "[config]") {
    CHECK(error_of("[server]\naccess_control = [\"10.0.0.0/33 allow\"]\n")
              .rfind("test.toml:2: bad prefix length", 0) == 0);
    CHECK(error_of("[server]\naccess_control = [\"10.0.0.0/8 maybe\"]\n")
              .rfind("test.toml:2: access rule needs allow, refuse or deny", 0) == 0);
}

TEST_CASE("per-listener access lists name a listen address", "[config]") {
    Config c = parse_config(
        "[server]\nlisten = [\"127.0.0.1:53\", \"192.0.2.53:53\"]\n"
        "listen_access_control = [\"192.0.2.53:53 = 10.0.0.0/8 allow, 0.0.0.0/0 refuse\"]\n",
        "x.toml");
    auto l = listener_access(c);
    REQUIRE(l.size() == 1);
    CHECK(l[0].address == "192.0.2.53:53");
    CHECK(l[0].rules == std::vector<std::string>{"10.0.0.0/8 allow", "0.0.0.0/0 refuse"});
    CHECK(error_of("[server]\nlisten_access_control = [\"192.0.2.9:53 = 10.0.0.0/8 allow\"]\n")
              .rfind("test.toml:2: not an address in server.listen", 0) == 0);
    CHECK(error_of("[server]\nlisten = [\"127.0.0.1:53\"]\n"
                   "listen_access_control = [\"127.0.0.1:53 = 10.0.0.0/8 sometimes\"]\n")
              .rfind("test.toml:3: access rule needs", 0) == 0);
}

namespace {
server::AclAction access(const server::Acl& acl, const char* ip) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    return acl.check(reinterpret_cast<const sockaddr*>(&a));
}
}  // namespace

TEST_CASE("a Server's settings built without a configuration are not an open resolver",
          "[config]") {
    server::ServerSettings s;  // what an embedder or a test gets
    CHECK(access(s.acl, "127.0.0.1") == server::AclAction::allow);
    CHECK(access(s.acl, "192.168.1.7") == server::AclAction::allow);
    CHECK(access(s.acl, "192.0.2.1") == server::AclAction::refuse);
    CHECK(access(s.acl, "8.8.8.8") == server::AclAction::refuse);
    // ... and the configuration's default is that same list.
    CHECK(parse_config("", "x.toml").server.front_door.acl.text() == s.acl.text());
}

TEST_CASE("defaults are the modules' own, read into the modules' settings", "[config]") {
    std::string ref = config_reference();
    auto shown = [&](const std::string& key, const std::string& value) {
        return ref.find("| `" + key + "` | integer | `" + value + "` |") != std::string::npos;
    };
    CHECK(shown("resolver.upstream_timeout_ms",
                std::to_string(upstream::InfraSettings{}.unknown_rtt.count())));
    CHECK(shown("server.max_inflight", std::to_string(server::ServerSettings{}.max_inflight)));
    CHECK(shown("tls.doh_max_streams", std::to_string(transports::DotDohSettings{}.max_streams)));
    CHECK(shown("cache.max_negative_ttl", std::to_string(cache::TtlLimits{}.max_negative_ttl)));

    Config c = parse_config(
        "[ratelimit]\nslip = 3\n[tunnel]\nrefuse_domains = [\"t.example\"]\n"
        "[resolver]\nupstream_timeout_ms = 500\nnsec3_max_iterations = 50\n"
        "[tls]\naccess_control = [\"10.0.0.0/8 allow\"]\nidle_timeout_ms = 2000\n",
        "x.toml");
    CHECK(c.server.front_door.rate_limit.slip == 3);
    REQUIRE(c.server.front_door.tunnel.refuse_domains.size() == 1);
    CHECK(c.server.front_door.tunnel.refuse_domains[0] == *wire::Name::from_text("t.example"));
    CHECK(c.resolver.infra.unknown_rtt == std::chrono::milliseconds(500));
    CHECK(c.resolver.engine.dnssec_limits.nsec3_max_iterations == 50);
    REQUIRE(c.tls.dot_doh.acl);
    CHECK(access(*c.tls.dot_doh.acl, "10.1.2.3") == server::AclAction::allow);
    CHECK(access(*c.tls.dot_doh.acl, "127.0.0.1") == server::AclAction::refuse);
    CHECK(c.tls.dot_doh.idle_timeout == std::chrono::milliseconds(2000));
}

TEST_CASE("typed settings are checked with their line", "[config]") {
    CHECK(error_of("[tunnel]\nrefuse_domains = [\"a..b\"]\n") ==
          "test.toml:2: not a domain name: a..b");
    CHECK(error_of("[server]\n\ncookie_secret = \"00\"\n") ==
          "test.toml:3: cookie_secret must be 32 hex digits");
    CHECK(error_of("[server]\nlog_level = \"loud\"\n") ==
          "test.toml:2: log_level must be debug, info, warning or error");
}

TEST_CASE("[[forward]] and [[stub]] tables each give one zone route", "[config]") {
    Config c = parse_config(
        "[[forward]]\nzone = \"corp.example\"\nservers = [\"10.0.0.1\", \"10.0.0.2@5353\", "
        "\"2001:db8::53\"]\ninsecure = true\n"
        "[[forward]]\nzone = \".\"\nservers = [\"127.0.0.1@5300\"]\nfirst = true\n"
        "[[stub]]\nzone = \"lab.internal\"\nservers = [\"192.168.1.2\"]\n",
        "x.toml");
    const auto& fwd = c.resolver.engine.forward_zones;
    REQUIRE(fwd.size() == 2);
    CHECK(fwd[0].zone == *wire::Name::from_text("corp.example."));
    REQUIRE(fwd[0].servers.size() == 3);
    CHECK(fwd[0].servers[1].addr.to_string() == "10.0.0.2:5353");
    CHECK(fwd[0].servers[2].addr.v6);
    CHECK(fwd[0].insecure);
    CHECK_FALSE(fwd[0].first);
    CHECK(fwd[1].zone.is_root());
    CHECK(fwd[1].first);
    REQUIRE(c.resolver.engine.stub_zones.size() == 1);
    CHECK(c.resolver.engine.stub_zones[0].servers[0].addr.port == 53);
}

TEST_CASE("[[forward]] with tls: IP@PORT#NAME, port 853 by default", "[config]") {
    Config c = parse_config(
        "[resolver]\ntls_ca_file = \"/etc/p53/ca.pem\"\n"
        "[[forward]]\nzone = \".\"\nservers = [\"192.0.2.1#dns.example.net.\", "
        "\"2001:db8::1@8853#dns2.example.net\"]\ntls = true\n"
        "[[forward]]\nzone = \"corp.example\"\nservers = [\"10.0.0.1\"]\n",
        "x.toml");
    const auto& fwd = c.resolver.engine.forward_zones;
    REQUIRE(fwd.size() == 2);
    CHECK(fwd[0].tls);
    CHECK(fwd[0].servers[0].addr.to_string() == "192.0.2.1:853");
    CHECK(fwd[0].servers[0].auth_name == "dns.example.net");  // as SNI wants it: no dot
    CHECK(fwd[0].servers[1].addr.to_string() == "[2001:db8::1]:8853");
    CHECK(fwd[0].servers[1].auth_name == "dns2.example.net");
    CHECK_FALSE(fwd[1].tls);
    CHECK(fwd[1].servers[0].addr.port == 53);
    CHECK(fwd[1].servers[0].auth_name.empty());
    CHECK(c.resolver.tls_ca_file == "/etc/p53/ca.pem");
}

TEST_CASE("DoT forward servers are checked with their line", "[config]") {
    CHECK(error_of("[[forward]]\nzone = \".\"\ntls = true\nservers = [\"192.0.2.1\"]\n") ==
          "test.toml:4: with tls = true each server needs its certificate's name, IP#NAME or "
          "IP@PORT#NAME: 192.0.2.1:853");
    CHECK(error_of("[[forward]]\nzone = \".\"\nservers = [\"192.0.2.1#dns.example\"]\n") ==
          "test.toml:3: #dns.example authenticates a DoT server: it needs tls = true");
    CHECK(error_of("[[forward]]\nzone = \".\"\ntls = true\nservers = [\"192.0.2.1#a..b\"]\n") ==
          "test.toml:4: forward.servers: not IP, IP@PORT or IP@PORT#NAME: 192.0.2.1#a..b");
    CHECK(error_of("[[forward]]\nzone = \".\"\ntls = true\nservers = [\"192.0.2.1#\"]\n") ==
          "test.toml:4: forward.servers: not IP, IP@PORT or IP@PORT#NAME: 192.0.2.1#");
    CHECK(error_of("[[stub]]\nzone = \"lab\"\nservers = [\"192.0.2.1\"]\ntls = true\n") ==
          "test.toml:4: unknown setting 'stub.tls'");
    CHECK(
        error_of("[[forward]]\nzone = \"a\"\ntls = \"yes\"\nservers = [\"192.0.2.1#x.example\"]\n")
            .starts_with("test.toml:3:"));
    CHECK(error_of("[[forward]]\nzone = \"a\"\ntls = true\nservers = [\"192.0.2.1#x.example\"]\n"
                   "[[forward]]\nzone = \"b\"\ntls = true\nservers = [\"192.0.2.1#y.example\"]\n")
              .ends_with("DoT server 192.0.2.1:853 has two names: x.example and y.example"));
}

TEST_CASE("zone routes are checked with their line", "[config]") {
    CHECK(error_of("[[forward]]\nzone = \"a.example\"\n") ==
          "test.toml:1: each [[forward]] needs zone and servers");
    CHECK(error_of("[[forward]]\nzone = \"a.example\"\nservers = [\"10.0.0.1@99999\"]\n") ==
          "test.toml:3: forward.servers: not IP, IP@PORT or IP@PORT#NAME: 10.0.0.1@99999");
    CHECK(error_of("[[stub]]\nzone = \"a..example\"\nservers = [\"10.0.0.1\"]\n") ==
          "test.toml:2: stub.zone: not a domain name: a..example");
    CHECK(error_of("[[forward]]\nzone = \"a.example\"\nservers = [\"10.0.0.1\"]\nweight = 1\n") ==
          "test.toml:4: unknown setting 'forward.weight'");
    CHECK(error_of("[forward]\nzone = \"a.example\"\n") ==
          "test.toml:2: forward.zone belongs in a [[forward]] table (one per zone)");
    CHECK(error_of("[[server]]\nlisten = []\n") == "test.toml:1: unknown top-level key 'server'");
    CHECK(error_of("[[forward]]\nzone = \"a.example\"\nservers = []\n")
              .ends_with("forward a.example.: servers is empty"));
    CHECK(error_of("[[forward]]\nzone = \"a.example\"\nservers = [\"10.0.0.1\"]\n"
                   "[[stub]]\nzone = \"A.example.\"\nservers = [\"10.0.0.2\"]\n")
              .ends_with("has more than one [[forward]] or [[stub]]"));
}

TEST_CASE("console state: written, read back, merged into the top level", "[config][console]") {
    char dir[] = "/tmp/p53-console-state-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/state.toml";
    CHECK(port53::conf::read_console_state(path) == port53::conf::ConsoleState{});  // no file
    port53::conf::ConsoleState s{{"ads.example."},
                                 {"ok.example."},
                                 {"nas.home.arpa. 3600 IN A 192.168.1.10"},
                                 {"/etc/port53/off.txt", "https://lists.example/x \"quoted\""}};
    port53::conf::write_console_state(path, s);
    CHECK(port53::conf::read_console_state(path) == s);
    auto cfg = port53::conf::parse_config(
        "[blocklist]\nblock = [\"b.example.\"]\nfiles = [\"/etc/port53/on.txt\", "
        "\"/etc/port53/off.txt\"]\n",
        "t.toml");
    port53::conf::apply_console_state(cfg, s);
    CHECK(cfg.blocklist.block == std::vector<std::string>{"b.example.", "ads.example."});
    CHECK(cfg.blocklist.allow == std::vector<std::string>{"ok.example."});
    CHECK(cfg.blocklist.files == std::vector<std::string>{"/etc/port53/on.txt"});
    CHECK(cfg.local.data == s.local_data);
    std::ofstream(path) << "block = [\"a.\"]\nsurprise = [\"x\"]\n";
    CHECK_THROWS_WITH(port53::conf::read_console_state(path),
                      Catch::Contains("state.toml:2: unknown key 'surprise'"));
    std::remove(path.c_str());
    rmdir(dir);
}

TEST_CASE("redis settings are read and its address checked", "[config]") {
    Config off = parse_config("", "x.toml");
    CHECK_FALSE(off.redis.enabled);
    CHECK(off.redis.timeout == std::chrono::milliseconds(30));
    Config c = parse_config(
        "[redis]\nenabled = true\naddress = \"[::1]:6380\"\nprefix = \"fleet\"\ntimeout_ms = 20\n"
        "max_pending_writes = 10\n",
        "x.toml");
    CHECK(c.redis.enabled);
    CHECK(c.redis.address == "[::1]:6380");
    CHECK(c.redis.prefix == "fleet");
    CHECK(c.redis.timeout == std::chrono::milliseconds(20));
    CHECK(c.redis.max_pending_writes == 10);
    CHECK(parse_config("[redis]\nenabled = true\naddress = \"/run/redis/redis.sock\"\n", "x.toml")
              .redis.enabled);
    CHECK(error_of("[redis]\nenabled = true\naddress = \"localhost:6379\"\n") ==
          "test.toml:3: redis.address must be an IP address and port: localhost:6379");
    CHECK_THAT(error_of("[redis]\nenabled = true\naddress = \"127.0.0.1:0\"\n"),
               Catch::Contains("bad port"));
    CHECK_THAT(error_of("[redis]\ntimeout_ms = 0\n"), Catch::Contains("between 1 and 10000"));
}
