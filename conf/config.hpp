// port53d's configuration: a TOML file checked against one table of settings
// (conf/settings.cpp). Each TOML table is a member of Config, and most settings are read
// straight into the settings struct of the module they configure, whose member initialisers
// are the defaults: each default is written once, there, and the table shows it in the
// reference in README.md (`port53d --config-reference`). What only the daemon uses (listen
// addresses, files, user) lives here.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"
#include "cache/rrset_cache.hpp"
#include "dnssec/anchor_tracker.hpp"
#include "engine/types.hpp"
#include "filter/block_config.hpp"
#include "local/local_config.hpp"
#include "secondary/secondary_config.hpp"
#include "server/log_settings.hpp"
#include "server/settings.hpp"
#include "transports/dot_doh_settings.hpp"
#include "transports/metrics_settings.hpp"
#include "transports/tcp_settings.hpp"
#include "upstream/asio_network.hpp"
#include "upstream/infra.hpp"
#include "upstream/redis_client.hpp"
#include "wire/name.hpp"

namespace port53::conf {

struct Config {
    // [server]. The front door's settings also take [ratelimit] (front_door.rate_limit),
    // [tunnel] (front_door.tunnel) and the serving half of [cache] (prefetch, stale answers).
    struct Server {
        std::vector<std::string> listen{"127.0.0.1:53", "[::1]:53"};
        std::size_t threads = 0;  // 0: one per CPU core
        base::LogLevel log_level = base::LogLevel::info;
        // "ADDRESS = NET/LEN action, NET/LEN action": one listen address's own access list.
        std::vector<std::string> listen_access_control;
        std::size_t tcp_max_connections_per_client = 64;
        std::string user;   // drop root to this user after binding (empty: stay)
        std::string group;  // empty: the user's primary group
        std::chrono::milliseconds drain_timeout{3000};
        server::ServerSettings front_door;
        transports::TcpSettings tcp;
    } server;
    struct Cache {
        std::size_t size_mb = 64;  // answers and RRsets together
        cache::TtlLimits ttl;
        std::string file;  // read at start, written on shutdown (cache/cache_persist.hpp)
    } cache;
    local::LocalSettings local;
    filter::BlockSettings blocklist;
    // [[secondary]] and [[tsig_key]]: zones held as copies of their primaries'.
    std::vector<secondary::SecondarySettings> secondaries;
    std::vector<secondary::TsigKeySettings> tsig_keys;
    struct Resolver {
        std::string root_hints;    // empty: built-in IANA hints
        std::string trust_anchor;  // empty: built-in root anchors
        // RFC 5011 upkeep of the anchor (daemon/trust_anchor_upkeep.hpp); empty: off.
        std::string trust_anchor_state;
        dnssec::HoldDowns trust_anchor_holddowns;
        std::string tls_ca_file;  // CAs for DoT forward servers; empty: the system's store
        std::vector<wire::Name> negative_trust_anchors;
        std::string outgoing_v4;  // source addresses of queries; empty: the kernel's choice
        std::string outgoing_v6;
        // Its edns_buffer_size is server.edns_buffer_size and its anchors come from
        // trust_anchor and negative_trust_anchors (daemon/settings_mapping.hpp).
        engine::EngineSettings engine;
        upstream::InfraSettings infra;
        upstream::UpstreamLimits upstream;
    } resolver;
    // [tls]: DNS over TLS and HTTPS; off unless a certificate is configured.
    struct Tls {
        std::string certificate;
        std::string private_key;
        std::vector<std::string> dot_listen{"127.0.0.1:853", "[::1]:853"};
        std::vector<std::string> doh_listen{"127.0.0.1:443", "[::1]:443"};
        std::vector<std::string> doh_http_listen;  // plain HTTP behind a proxy; empty: off
        // Its max_pipelined is server.tcp_max_pipelined.
        transports::DotDohSettings dot_doh;
    } tls;
    // [ddr]: Discovery of Designated Resolvers, RFC 9462 (local/designated_resolver.hpp).
    struct Ddr {
        bool enabled = true;
        std::string name;  // the name clients verify; empty: the certificate's first DNS name
        uint32_t ttl = 300;
        bool operator==(const Ddr&) const = default;
    } ddr;
    // [console]: the web console over HTTPS (daemon/console_listener.hpp); off without listen.
    struct Console {
        std::string listen;  // "ip:port"
        std::vector<std::string> acl = {"127.0.0.0/8 allow", "::1/128 allow"};
        std::string certificate, private_key;  // empty: tls.certificate and tls.private_key
        std::string password_hash;             // port53d --hash-password
        uint32_t session_ttl = 43'200;         // seconds
        uint32_t login_attempts = 5;           // failed logins a minute per client address
        std::string state_file = "/var/lib/port53/console.toml";  // conf/console_state.hpp
        uint32_t recent_queries = 20'000;  // kept for its query log, over all workers
    } console;
    transports::MetricsSettings metrics;  // [metrics]: the Prometheus endpoint
    // [proxy_protocol]: PROXY v2 headers from load balancers (transports/proxy_policy.hpp).
    struct ProxyProtocol {
        std::vector<std::string> from;       // "NET/LEN" or addresses; empty: off
        std::vector<std::string> listeners;  // as written in *listen; empty: all of them
    } proxy_protocol;
    upstream::RedisSettings redis;  // [redis]: the second-level cache (engine/second_level.cpp)
    // [[view]] tables: split horizon (server/views.hpp). `local`, `blocklist` and the routes
    // are what the view's engine gets, settled once the whole file is read: with `inherit`,
    // blocklist and routes are the top level's merged with the view's own, and the top
    // level's local data is asked after the view's (daemon/views.cpp).
    struct View {
        std::string name;
        std::vector<std::string> clients;    // "NET/LEN": most specific network of all wins
        std::vector<std::string> listeners;  // as written in server.listen or tls.*_listen
        std::vector<std::string> doh_paths;  // "/dns-query/kids"
        bool inherit = true;
        local::LocalSettings local;
        filter::BlockSettings blocklist;
        std::vector<engine::ZoneRoute> forward_zones;
        std::vector<engine::ZoneRoute> stub_zones;
        bool operator==(const View&) const = default;
    };
    std::vector<View> views;
    // [control]: port53-ctl's Unix socket (daemon/control_socket.hpp) and its TLS
    // listener with client certificates (daemon/control_tls.hpp).
    struct Control {
        std::string socket;      // path; empty: no control socket
        std::string group;       // owner group of the socket (mode 0660); empty: the daemon's
        std::string tls_listen;  // "ip:port"; empty: no TLS listener
        std::string server_cert, server_key;  // PEM: its certificate (chain) and key
        std::string client_ca;                // PEM: CAs whose client certificates are let in
    } control;
    server::QueryLogSettings query_log;        // [query_log]: one JSON line per query
    server::SecurityLogSettings security_log;  // [security_log]: refused, limited, tunnels, bogus
    server::DnstapSettings dnstap;             // [dnstap]: Frame Streams to a Unix socket
};

// "file:line: what is wrong" (line 0 when the problem is not tied to a line).
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Config load_config(const std::string& path);
// `with_console_state`: merge console.state_file in (conf/console_state.hpp), as
// load_config does.
Config parse_config(const std::string& text, const std::string& source_name,
                    bool with_console_state = false);

// Markdown table of every setting: key, type, default, meaning.
std::string config_reference();
// The same table as the manual page port53d.toml(5) (roff), for the Debian package.
std::string config_manpage(std::string_view version);

struct ListenAddress {
    std::string ip;
    uint16_t port;
};
// "127.0.0.1:53", "[::1]:53", "127.0.0.1" (port 53); throws std::invalid_argument.
ListenAddress parse_listen_address(const std::string& text);

// server.listen_access_control, split: the listen address and its rules.
struct ListenerAccess {
    std::string address;  // as written in server.listen
    std::vector<std::string> rules;
};
// Throws std::invalid_argument for a malformed entry or an address not in server.listen.
std::vector<ListenerAccess> listener_access(const Config& cfg);

}  // namespace port53::conf
