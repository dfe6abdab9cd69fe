#include "conf/config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <variant>

#include "local/local_config.hpp"
#include "server/acl.hpp"
#include "wire/name.hpp"

namespace port53::conf {
namespace {

using Member = std::variant<int64_t Config::*, bool Config::*, std::string Config::*,
                            std::vector<std::string> Config::*, double Config::*>;

struct Setting {
    const char* section;
    const char* key;
    Member member;
    int64_t min = 0, max = 0;  // integers only
    const char* help;
};

// The one table: parsing, defaults and documentation all come from here.
const Setting kSettings[] = {
    {"server", "listen", &Config::listen, 0, 0,
     "Addresses for UDP and TCP (\"ip:port\", \"[ipv6]:port\")."},
    {"server", "threads", &Config::threads, 0, 256, "Worker threads; 0 means one per CPU core."},
    {"server", "log_level", &Config::log_level, 0, 0, "debug, info, warning or error."},
    {"server", "tcp_idle_timeout_ms", &Config::tcp_idle_timeout_ms, 100, 600'000,
     "Close an idle TCP connection after this long."},
    {"server", "tcp_max_connections", &Config::tcp_max_connections, 1, 1'000'000,
     "Open TCP connections over all workers."},
    {"server", "tcp_max_connections_per_client", &Config::tcp_max_connections_per_client, 1,
     1'000'000, "Open TCP connections one client address may hold."},
    {"server", "tcp_max_pipelined", &Config::tcp_max_pipelined, 1, 65'535,
     "Queries resolving at once on one TCP connection."},
    {"server", "edns_buffer_size", &Config::edns_buffer_size, 512, 4096,
     "Largest UDP answer sent and EDNS size advertised (RFC 6891)."},
    {"server", "access_control", &Config::access_control, 0, 0,
     "Client networks and what they get: \"NET/LEN allow|refuse|deny\" (deny drops). The most "
     "specific match wins; unmatched clients are refused."},
    {"server", "listen_access_control", &Config::listen_access_control, 0, 0,
     "Access lists of single listen addresses, overriding access_control there: "
     "\"ADDRESS = NET/LEN action, NET/LEN action\" (ADDRESS as written in listen)."},
    {"server", "max_inflight", &Config::max_inflight, 1, 1'000'000,
     "Client questions waiting on resolutions at once (identical ones share a resolution but "
     "count each); beyond it new ones get SERVFAIL."},
    {"server", "max_inflight_per_client", &Config::max_inflight_per_client, 1, 1'000'000,
     "Of those, how many one client address (an IPv6 /64) may hold, over UDP, TCP, DoT and DoH "
     "together; beyond it its new ones get SERVFAIL."},
    {"server", "user", &Config::user, 0, 0,
     "After binding its ports, run as this user (e.g. \"port53\"); empty keeps the current user."},
    {"server", "group", &Config::group, 0, 0,
     "Group to run as with `user`; empty means the user's primary group."},
    {"server", "drain_timeout_ms", &Config::drain_timeout_ms, 0, 60'000,
     "On SIGTERM, how long questions in flight may take to finish before exit."},
    {"server", "answer_cookies", &Config::answer_cookies, 0, 0,
     "Give clients that send a DNS cookie a server cookie (RFC 7873, RFC 9018)."},
    {"server", "cookie_secret", &Config::cookie_secret, 0, 0,
     "32 hex digits keying server cookies; empty: random at each start. Instances behind one "
     "address share it."},
    {"ratelimit", "queries_per_second", &Config::rl_queries_per_second, 0, 10'000'000,
     "UDP queries a second accepted per client prefix; more are dropped. 0: no cap."},
    {"ratelimit", "responses_per_second", &Config::rl_responses_per_second, 0, 10'000'000,
     "Response rate limiting: UDP answers a second per client prefix. 0: off."},
    {"ratelimit", "slip", &Config::rl_slip, 0, 100,
     "Every Nth rate-limited answer is sent truncated (TC) so real clients retry over TCP; 0: drop "
     "all."},
    {"ratelimit", "ipv4_prefix", &Config::rl_ipv4_prefix, 8, 32,
     "IPv4 clients are counted per prefix of this length."},
    {"ratelimit", "ipv6_prefix", &Config::rl_ipv6_prefix, 16, 128,
     "IPv6 clients are counted per prefix of this length."},
    {"tunnel", "detection", &Config::tunnel_detection, 0, 0,
     "Flag (log and count) clients whose cache misses look like DNS tunnelling."},
    {"tunnel", "long_label", &Config::tunnel_long_label, 8, 63,
     "Labels this long or longer are checked for encoded-data entropy."},
    {"tunnel", "entropy_bits", &Config::tunnel_entropy_bits, 0, 8,
     "Shannon bits per character above which a long label looks encoded."},
    {"tunnel", "unique_names", &Config::tunnel_unique_names, 1, 1'000'000,
     "Cache misses under one domain per client per window that count as a burst."},
    {"tunnel", "txt_null_queries", &Config::tunnel_txt_null_queries, 1, 1'000'000,
     "TXT/NULL cache misses per client per window that count as heavy use."},
    {"tunnel", "window_seconds", &Config::tunnel_window_seconds, 1, 86'400,
     "Length of the counting window, seconds."},
    {"tunnel", "refuse_domains", &Config::tunnel_refuse_domains, 0, 0,
     "Flagged queries under these domains are answered REFUSED."},
    {"cache", "size_mb", &Config::cache_size_mb, 1, 1'048'576,
     "Memory bound of all caches together, MiB."},
    {"cache", "min_ttl", &Config::min_ttl, 0, 86'400, "Lower bound on cached TTLs, seconds."},
    {"cache", "max_ttl", &Config::max_ttl, 1, 604'800, "Upper bound on cached TTLs, seconds."},
    {"cache", "max_negative_ttl", &Config::max_negative_ttl, 0, 86'400,
     "Upper bound on NXDOMAIN/NODATA caching (RFC 2308), seconds."},
    {"cache", "prefetch", &Config::prefetch, 0, 0,
     "Refresh an answer asked for in the last tenth of its TTL, before it expires."},
    {"cache", "serve_stale", &Config::serve_stale, 0, 0,
     "When every authority fails, answer from expired data with EDE 3 (RFC 8767)."},
    {"cache", "max_stale", &Config::max_stale, 0, 604'800,
     "How long past expiry data may be served stale, seconds."},
    {"cache", "stale_ttl", &Config::stale_ttl, 1, 3600,
     "TTL given to stale answers, seconds (RFC 8767 suggests 30)."},
    {"resolver", "root_hints", &Config::root_hints, 0, 0,
     "Root hints file in zone format; empty uses the built-in IANA hints."},
    {"resolver", "trust_anchor", &Config::trust_anchor, 0, 0,
     "Trust anchor file (DS or DNSKEY, zone format); empty uses the built-in root anchors."},
    {"resolver", "dnssec_validation", &Config::dnssec_validation, 0, 0,
     "Validate DNSSEC from the trust anchor down; bogus answers become SERVFAIL with an Extended "
     "DNS Error."},
    {"resolver", "negative_trust_anchors", &Config::negative_trust_anchors, 0, 0,
     "Domains not to validate (RFC 7646), e.g. a broken internal zone."},
    {"resolver", "nsec3_max_iterations", &Config::nsec3_max_iterations, 0, 2500,
     "NSEC3 proofs with more iterations are treated as insecure (RFC 9276)."},
    {"resolver", "allow_loopback_upstream", &Config::allow_loopback_upstream, 0, 0,
     "Query authorities on 127.0.0.0/8 and ::1 (off, as in Unbound; on for test labs)."},
    {"resolver", "ipv4", &Config::ipv4, 0, 0, "Query authorities over IPv4."},
    {"resolver", "ipv6", &Config::ipv6, 0, 0, "Query authorities over IPv6."},
    {"resolver", "outgoing_v4", &Config::outgoing_v4, 0, 0,
     "Source address for IPv4 queries to authorities; empty lets the kernel choose."},
    {"resolver", "outgoing_v6", &Config::outgoing_v6, 0, 0,
     "Source address for IPv6 queries to authorities; empty lets the kernel choose."},
    {"resolver", "qname_minimisation", &Config::qname_minimisation, 0, 0,
     "Send authorities only as much of the name as they need (RFC 9156, relaxed)."},
    {"resolver", "aggressive_nsec", &Config::aggressive_nsec, 0, 0,
     "Answer NXDOMAIN, NODATA and wildcard names from cached, validated NSEC/NSEC3 ranges without "
     "asking (RFC 8198)."},
    {"resolver", "send_cookies", &Config::send_cookies, 0, 0,
     "Send DNS cookies to authorities and drop replies that do not echo ours (RFC 7873)."},
    {"resolver", "use_0x20", &Config::use_0x20, 0, 0,
     "Randomise the case of names sent upstream and require it echoed (DNS 0x20), with fallback "
     "for servers that do not."},
    {"resolver", "max_outstanding_upstream", &Config::max_outstanding_upstream, 1, 1'000'000,
     "Queries to authorities open at once over all workers; past it new ones fail fast."},
    {"resolver", "unwanted_reply_threshold", &Config::unwanted_reply_threshold, 0, 1'000'000'000,
     "After this many unexpected replies (possible spoofing) the caches are flushed; 0: never."},
    {"resolver", "upstream_timeout_ms", &Config::upstream_timeout_ms, 10, 10'000,
     "Timeout for an authority never measured; measured ones use SRTT + 4*RTTVAR."},
    {"resolver", "query_timeout_ms", &Config::query_timeout_ms, 100, 120'000,
     "Give up on a client question (SERVFAIL) after this long."},
    {"resolver", "max_upstream_queries", &Config::max_upstream_queries, 1, 10'000,
     "Upstream queries one client question may cause."},
    {"resolver", "max_referrals", &Config::max_referrals, 1, 1000,
     "Referrals followed for one name."},
    {"resolver", "max_cname_chain", &Config::max_cname_chain, 1, 100,
     "CNAME/DNAME links followed for one question."},
    {"resolver", "max_ns_lookups", &Config::max_ns_lookups, 1, 100,
     "NS names without glue looked up per delegation (NXNS defence)."},
    {"local", "data", &Config::local_data, 0, 0,
     "Records answered here, in zone-file form (\"nas.home.arpa. 3600 IN A 192.168.1.10\"); a "
     "name outside every local zone gets a zone of its own where only it is answered."},
    {"local", "data_ptr", &Config::local_data_ptr, 0, 0,
     "Also answer the reverse (PTR) name of each A and AAAA record in local.data."},
    {"local", "zones", &Config::local_zones, 0, 0,
     "Zones answered here and what names without data get: \"NAME static\" (NXDOMAIN/NODATA), "
     "\"NAME transparent\" (resolved as usual) or \"NAME redirect\" (the apex's data)."},
    {"local", "zone_files", &Config::local_zone_files, 0, 0,
     "Zone files served here authoritatively (AA), with wildcards; names below a delegation in "
     "them are resolved as usual."},
    {"local", "no_default", &Config::local_no_default, 0, 0,
     "Built-in local zones not to serve: localhost., test., invalid., local., onion., "
     "home.arpa., resolver.arpa. and the RFC 6303 private reverse zones are answered here "
     "unless named (a lab that delegates test. needs \"test.\")."},
    {"blocklist", "files", &Config::block_files, 0, 0,
     "Blocklists: hosts files (\"0.0.0.0 ads.example\": that name), domain lists "
     "(\"ads.example\": it and the names below it) or adblock rules (\"||ads.example^\", "
     "\"@@||ok.example^\" to allow), read at start."},
    {"blocklist", "allow_files", &Config::block_allow_files, 0, 0,
     "Lists in the same formats whose names are never blocked (they and the names below them)."},
    {"blocklist", "block", &Config::block_names, 0, 0,
     "Names blocked with everything below them, besides the files."},
    {"blocklist", "allow", &Config::block_allow, 0, 0,
     "Names never blocked, with everything below them: allowing wins over blocking."},
    {"blocklist", "answer", &Config::block_answer, 0, 0,
     "What a blocked name gets (with EDE 15, Blocked): \"nxdomain\", \"nodata\", \"null\" "
     "(0.0.0.0 and ::) or addresses (\"192.0.2.1\", \"2001:db8::1\" or both, comma-separated)."},
    {"blocklist", "ttl", &Config::block_ttl, 0, 86'400,
     "TTL of blocked answers, seconds; short, so a name unblocked works again soon."},
    {"tls", "certificate", &Config::tls_certificate, 0, 0,
     "PEM certificate chain for DoT and DoH; empty turns both off. Reloaded on SIGHUP."},
    {"tls", "private_key", &Config::tls_private_key, 0, 0,
     "PEM private key of that certificate. Reloaded on SIGHUP."},
    {"tls", "access_control", &Config::tls_access_control, 0, 0,
     "Access list of the DoT and DoH listeners, like server.access_control; empty: the same "
     "as server.access_control."},
    {"tls", "dot_listen", &Config::dot_listen, 0, 0,
     "DNS over TLS addresses (RFC 7858, ALPN \"dot\"); used only with a certificate."},
    {"tls", "doh_listen", &Config::doh_listen, 0, 0,
     "DNS over HTTPS addresses (RFC 8484; HTTP/2 or HTTP/1.1 by ALPN); used only with a "
     "certificate."},
    {"tls", "doh_http_listen", &Config::doh_http_listen, 0, 0,
     "Plain-HTTP DoH addresses, for use behind a reverse proxy; empty: off."},
    {"tls", "doh_path", &Config::doh_path, 0, 0,
     "URL path of DoH queries (GET ?dns= and POST); the JSON API is at /resolve."},
    {"tls", "trusted_proxies", &Config::trusted_proxies, 0, 0,
     "Proxies (IP addresses) whose X-Forwarded-For names the client on the plain-HTTP DoH "
     "listener; the ACL then applies to that client."},
    {"tls", "idle_timeout_ms", &Config::tls_idle_timeout_ms, 100, 600'000,
     "Close an idle DoT or DoH connection after this long."},
    {"tls", "max_connections", &Config::tls_max_connections, 1, 1'000'000,
     "Open DoT and DoH connections over all workers."},
    {"tls", "doh_max_streams", &Config::doh_max_streams, 1, 10'000,
     "Concurrent HTTP/2 streams per DoH connection (SETTINGS_MAX_CONCURRENT_STREAMS)."},
};

[[noreturn]] void fail(const std::string& where, const toml::source_region& src,
                       const std::string& what) {
    throw ConfigError(where + ":" + std::to_string(src.begin.line) + ": " + what);
}

void apply(Config& cfg, const Setting& s, const toml::node& node, const std::string& where) {
    std::string name = std::string(s.section) + "." + s.key;
    std::visit(
        [&](auto member) {
            using T = std::remove_reference_t<decltype(cfg.*member)>;
            if constexpr (std::is_same_v<T, int64_t>) {
                auto v = node.value<int64_t>();
                if (!node.is_integer() || !v)
                    fail(where, node.source(), name + " must be an integer");
                if (*v < s.min || *v > s.max)
                    fail(where, node.source(),
                         name + " must be between " + std::to_string(s.min) + " and " +
                             std::to_string(s.max));
                cfg.*member = *v;
            } else if constexpr (std::is_same_v<T, bool>) {
                if (!node.is_boolean()) fail(where, node.source(), name + " must be true or false");
                cfg.*member = *node.value<bool>();
            } else if constexpr (std::is_same_v<T, double>) {
                auto v = node.value<double>();
                if (!(node.is_floating_point() || node.is_integer()) || !v)
                    fail(where, node.source(), name + " must be a number");
                if (*v < double(s.min) || *v > double(s.max))
                    fail(where, node.source(),
                         name + " must be between " + std::to_string(s.min) + " and " +
                             std::to_string(s.max));
                cfg.*member = *v;
            } else if constexpr (std::is_same_v<T, std::string>) {
                if (!node.is_string()) fail(where, node.source(), name + " must be a string");
                cfg.*member = *node.value<std::string>();
            } else {
                const toml::array* arr = node.as_array();
                if (!arr) fail(where, node.source(), name + " must be an array of strings");
                T list;
                for (const auto& el : *arr) {
                    if (!el.is_string()) fail(where, el.source(), name + " must hold strings only");
                    list.push_back(*el.value<std::string>());
                }
                cfg.*member = std::move(list);
            }
        },
        s.member);
}

template <typename LineOf>
void check_tls(const Config& cfg, LineOf line_of, const std::string& where) {
    const std::pair<const std::vector<std::string>*, const char*> lists[] = {
        {&cfg.dot_listen, "tls.dot_listen"},
        {&cfg.doh_listen, "tls.doh_listen"},
        {&cfg.doh_http_listen, "tls.doh_http_listen"}};
    for (const auto& [list, path] : lists) {
        for (const auto& l : *list) {
            try {
                parse_listen_address(l);
            } catch (const std::invalid_argument& e) {
                fail(where, line_of(path), std::string(path) + ": " + e.what());
            }
        }
    }
    if (!cfg.tls_certificate.empty() && cfg.tls_private_key.empty())
        fail(where, line_of("tls.certificate"), "tls.certificate needs tls.private_key");
    if (cfg.tls_certificate.empty() && !cfg.tls_private_key.empty())
        fail(where, line_of("tls.private_key"), "tls.private_key needs tls.certificate");
    if (cfg.doh_path.empty() || cfg.doh_path[0] != '/' ||
        cfg.doh_path.find_first_of("?# ") != std::string::npos)
        fail(where, line_of("tls.doh_path"),
             "tls.doh_path must start with '/' and hold no '?', '#' or space");
    for (const auto& ip : cfg.trusted_proxies) {
        unsigned char buf[16];
        if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1)
            fail(where, line_of("tls.trusted_proxies"),
                 "tls.trusted_proxies: not an IP address: " + ip);
    }
}

// Checks that involve meaning rather than type, tied to the line of the offending key.
void check_semantics(const Config& cfg, const toml::table& root, const std::string& where) {
    auto line_of = [&](const char* path) {
        auto n = root.at_path(path);
        return n ? n.node()->source() : toml::source_region{};
    };
    for (const auto& l : cfg.listen) {
        try {
            parse_listen_address(l);
        } catch (const std::invalid_argument& e) {
            fail(where, line_of("server.listen"), e.what());
        }
    }
    if (cfg.listen.empty()) fail(where, line_of("server.listen"), "server.listen is empty");
    const char* levels[] = {"debug", "info", "warning", "error"};
    if (std::find(std::begin(levels), std::end(levels), cfg.log_level) == std::end(levels))
        fail(where, line_of("server.log_level"), "log_level must be debug, info, warning or error");
    if (!cfg.ipv4 && !cfg.ipv6) fail(where, line_of("resolver.ipv4"), "ipv4 and ipv6 are both off");
    if (cfg.min_ttl > cfg.max_ttl) fail(where, line_of("cache.min_ttl"), "min_ttl exceeds max_ttl");
    auto check_ip = [&](const std::string& ip, int af, const char* path) {
        unsigned char buf[16];
        if (!ip.empty() && inet_pton(af, ip.c_str(), buf) != 1)
            fail(where, line_of(path), std::string(path) + " is not an IP address: " + ip);
    };
    try {
        for (const auto& l : listener_access(cfg)) server::Acl::parse(l.rules);
    } catch (const std::invalid_argument& e) {
        fail(where, line_of("server.listen_access_control"), e.what());
    }
    for (auto [rules, path] : {std::pair{&cfg.access_control, "server.access_control"},
                               std::pair{&cfg.tls_access_control, "tls.access_control"}}) {
        try {
            server::Acl::parse(*rules);
        } catch (const std::invalid_argument& e) {
            fail(where, line_of(path), e.what());
        }
    }
    for (const auto& d : cfg.tunnel_refuse_domains)
        if (!wire::Name::from_text(d))
            fail(where, line_of("tunnel.refuse_domains"), "not a domain name: " + d);
    for (const auto& nta : cfg.negative_trust_anchors)
        if (!wire::Name::from_text(nta))
            fail(where, line_of("resolver.negative_trust_anchors"), "not a domain name: " + nta);
    if (!cfg.cookie_secret.empty() &&
        (cfg.cookie_secret.size() != 32 ||
         cfg.cookie_secret.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
        fail(where, line_of("server.cookie_secret"), "cookie_secret must be 32 hex digits");
    if (!filter::BlockAnswer::parse(cfg.block_answer))
        fail(where, line_of("blocklist.answer"),
             "blocklist.answer must be nxdomain, nodata, null or addresses: " + cfg.block_answer);
    for (auto [names, path] : {std::pair{&cfg.block_names, "blocklist.block"},
                               std::pair{&cfg.block_allow, "blocklist.allow"}})
        for (const auto& n : *names)
            if (!wire::Name::from_text(n)) fail(where, line_of(path), "not a domain name: " + n);
    try {
        local::build_local_zones(local_settings(cfg));
    } catch (const local::LocalSettingError& e) {
        fail(where, line_of(("local." + e.key).c_str()), e.what());
    }
    check_ip(cfg.outgoing_v4, AF_INET, "resolver.outgoing_v4");
    check_ip(cfg.outgoing_v6, AF_INET6, "resolver.outgoing_v6");
    check_tls(cfg, line_of, where);
}

std::string default_text(const Setting& s) {
    Config def;
    return std::visit(
        [&](auto member) -> std::string {
            const auto& v = def.*member;
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, int64_t>)
                return std::to_string(v);
            else if constexpr (std::is_same_v<T, bool>)
                return v ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::string>)
                return "\"" + v + "\"";
            else if constexpr (std::is_same_v<T, double>) {
                std::ostringstream os;
                os << v;
                return os.str();
            } else {
                std::string out = "[";
                for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
                return out + "]";
            }
        },
        s.member);
}

const char* type_name(const Member& m) {
    switch (m.index()) {
        case 0:
            return "integer";
        case 1:
            return "boolean";
        case 2:
            return "string";
        case 4:
            return "number";
        default:
            return "array of strings";
    }
}

}  // namespace

ListenAddress parse_listen_address(const std::string& text) {
    std::string ip = text, port = "53";
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos) throw std::invalid_argument("bad listen address: " + text);
        ip = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') throw std::invalid_argument("bad listen address: " + text);
            port = text.substr(close + 2);
        }
    } else if (auto colon = text.find(':');
               colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
        ip = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1)
        throw std::invalid_argument("bad listen address (need an IP literal): " + text);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
        throw std::invalid_argument("bad port in listen address: " + text);
    return {ip, static_cast<uint16_t>(std::stoul(port))};
}

local::LocalSettings local_settings(const Config& cfg) {
    return {cfg.local_data, cfg.local_data_ptr, cfg.local_zones, cfg.local_zone_files,
            cfg.local_no_default};
}

filter::BlockSettings block_settings(const Config& cfg) {
    return {cfg.block_files, cfg.block_allow_files, cfg.block_names,
            cfg.block_allow, cfg.block_answer,      static_cast<uint32_t>(cfg.block_ttl)};
}

std::vector<ListenerAccess> listener_access(const Config& cfg) {
    std::vector<ListenerAccess> out;
    for (const auto& entry : cfg.listen_access_control) {
        auto eq = entry.find('=');
        if (eq == std::string::npos)
            throw std::invalid_argument("listen access entry needs 'ADDRESS = rules': " + entry);
        auto trim = [](std::string s) {
            s.erase(0, s.find_first_not_of(" \t"));
            s.erase(s.find_last_not_of(" \t") + 1);
            return s;
        };
        ListenerAccess la{trim(entry.substr(0, eq)), {}};
        if (std::find(cfg.listen.begin(), cfg.listen.end(), la.address) == cfg.listen.end())
            throw std::invalid_argument("not an address in server.listen: " + la.address);
        std::string rules = entry.substr(eq + 1);
        for (std::size_t start = 0; start <= rules.size();) {
            std::size_t comma = rules.find(',', start);
            if (comma == std::string::npos) comma = rules.size();
            if (auto rule = trim(rules.substr(start, comma - start)); !rule.empty())
                la.rules.push_back(rule);
            start = comma + 1;
        }
        if (la.rules.empty()) throw std::invalid_argument("no rules for " + la.address);
        out.push_back(std::move(la));
    }
    return out;
}

Config parse_config(const std::string& text, const std::string& where) {
    toml::table root;
    try {
        root = toml::parse(text, where);
    } catch (const toml::parse_error& e) {
        throw ConfigError(where + ":" + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description()));
    }
    Config cfg;
    for (const auto& [section, node] : root) {
        const toml::table* tbl = node.as_table();
        if (!tbl)
            fail(where, node.source(),
                 "unknown top-level key '" + std::string(section.str()) + "'");
        for (const auto& [key, value] : *tbl) {
            const Setting* found = nullptr;
            for (const auto& s : kSettings)
                if (section.str() == s.section && key.str() == s.key) found = &s;
            if (!found)
                fail(where, value.source(),
                     "unknown setting '" + std::string(section.str()) + "." +
                         std::string(key.str()) + "'");
            apply(cfg, *found, value, where);
        }
    }
    check_semantics(cfg, root, where);
    return cfg;
}

Config load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ":0: cannot open the configuration file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path);
}

std::string config_reference() {
    std::ostringstream out;
    out << "| setting | type | default | meaning |\n|---|---|---|---|\n";
    for (const auto& s : kSettings)
        out << "| `" << s.section << "." << s.key << "` | " << type_name(s.member) << " | `"
            << default_text(s) << "` | " << s.help << " |\n";
    return out.str();
}

}  // namespace port53::conf
