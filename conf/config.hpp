// port53d's configuration: a TOML file checked against one table of settings, which also
// supplies the defaults and the reference in README.md (`port53d --config-reference`).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "filter/block_config.hpp"
#include "local/local_config.hpp"

namespace port53::conf {

struct Config {
    // [server]
    std::vector<std::string> listen{"127.0.0.1:53", "[::1]:53"};
    int64_t threads = 0;  // 0: one per CPU core
    std::string log_level = "info";
    int64_t tcp_idle_timeout_ms = 10'000;
    int64_t tcp_max_connections = 1024;
    int64_t tcp_max_pipelined = 128;
    int64_t tcp_max_connections_per_client = 64;
    int64_t edns_buffer_size = 1232;
    std::vector<std::string> access_control{
        "127.0.0.0/8 allow",    "::1/128 allow",       "10.0.0.0/8 allow", "172.16.0.0/12 allow",
        "192.168.0.0/16 allow", "100.64.0.0/10 allow", "fc00::/7 allow",   "fe80::/10 allow"};
    // "ADDRESS = NET/LEN action, NET/LEN action": one listen address's own access list.
    std::vector<std::string> listen_access_control;
    int64_t max_inflight = 10'000;
    int64_t max_inflight_per_client = 256;
    std::string user;   // drop root to this user after binding (empty: stay)
    std::string group;  // empty: the user's primary group
    int64_t drain_timeout_ms = 3000;
    bool answer_cookies = true;
    std::string cookie_secret;
    // [tunnel]
    bool tunnel_detection = true;
    int64_t tunnel_long_label = 32;
    double tunnel_entropy_bits = 4.0;
    int64_t tunnel_unique_names = 200;
    int64_t tunnel_txt_null_queries = 200;
    int64_t tunnel_window_seconds = 60;
    std::vector<std::string> tunnel_refuse_domains;
    // [ratelimit] (UDP)
    int64_t rl_queries_per_second = 0;
    int64_t rl_responses_per_second = 0;
    int64_t rl_slip = 2;
    int64_t rl_ipv4_prefix = 24;
    int64_t rl_ipv6_prefix = 56;
    // [cache]
    int64_t cache_size_mb = 64;
    int64_t min_ttl = 0;
    int64_t max_ttl = 86'400;
    int64_t max_negative_ttl = 3600;
    bool prefetch = true;
    bool serve_stale = true;
    int64_t max_stale = 86'400;
    int64_t stale_ttl = 30;
    // [local]: names answered here (local/local_config.hpp)
    std::vector<std::string> local_data;
    bool local_data_ptr = false;
    std::vector<std::string> local_zones;
    std::vector<std::string> local_zone_files;
    std::vector<std::string> local_no_default;
    // [blocklist] (filter/block_config.hpp)
    std::vector<std::string> block_files;
    std::vector<std::string> block_allow_files;
    std::vector<std::string> block_names;
    std::vector<std::string> block_allow;
    std::string block_answer = "nxdomain";
    int64_t block_ttl = 60;
    // [resolver]
    std::string root_hints;    // empty: built-in IANA hints
    std::string trust_anchor;  // empty: built-in root anchors
    bool dnssec_validation = true;
    std::vector<std::string> negative_trust_anchors;
    int64_t nsec3_max_iterations = 150;
    bool allow_loopback_upstream = false;
    bool ipv4 = true;
    bool ipv6 = true;
    std::string outgoing_v4;
    std::string outgoing_v6;
    bool qname_minimisation = true;
    bool aggressive_nsec = true;
    bool send_cookies = true;
    bool use_0x20 = false;
    int64_t max_outstanding_upstream = 10'000;
    int64_t unwanted_reply_threshold = 10'000'000;
    int64_t upstream_timeout_ms = 376;
    int64_t query_timeout_ms = 10'000;
    int64_t max_upstream_queries = 100;
    int64_t max_referrals = 30;
    int64_t max_cname_chain = 12;
    int64_t max_ns_lookups = 6;
    // [tls]: DNS over TLS and HTTPS; off unless a certificate is configured.
    std::string tls_certificate;
    std::vector<std::string> tls_access_control;  // empty: server.access_control
    std::string tls_private_key;
    std::vector<std::string> dot_listen{"127.0.0.1:853", "[::1]:853"};
    std::vector<std::string> doh_listen{"127.0.0.1:443", "[::1]:443"};
    std::vector<std::string> doh_http_listen;  // plain HTTP behind a proxy; empty: off
    std::string doh_path = "/dns-query";
    std::vector<std::string> trusted_proxies;
    int64_t tls_idle_timeout_ms = 30'000;
    int64_t tls_max_connections = 1024;
    int64_t doh_max_streams = 100;
};

// "file:line: what is wrong" (line 0 when the problem is not tied to a line).
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Config load_config(const std::string& path);
Config parse_config(const std::string& text, const std::string& source_name);

// Markdown table of every setting: key, type, default, meaning.
std::string config_reference();

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

// The [local] section as local/ takes it.
local::LocalSettings local_settings(const Config& cfg);
// The [blocklist] section as filter/ takes it.
filter::BlockSettings block_settings(const Config& cfg);

}  // namespace port53::conf
