#include "conf/settings.hpp"

#include <boost/asio/ip/address.hpp>
#include <concepts>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace port53::conf {
namespace {

// One TOML value being read into a setting, for the messages of what is wrong with it.
struct Reading {
    const toml::node& node;
    const Setting& setting;
    const std::string& where;

    [[noreturn]] void fail(const std::string& what, const toml::node* at = nullptr) const {
        conf::fail(where, (at ? *at : node).source(), what);
    }
    int64_t integer() const {
        auto v = node.value<int64_t>();
        if (!node.is_integer() || !v) fail(setting.name() + " must be an integer");
        if (*v < setting.min || *v > setting.max) fail(out_of_bounds());
        return *v;
    }
    std::string out_of_bounds() const {
        return setting.name() + " must be between " + std::to_string(setting.min) + " and " +
               std::to_string(setting.max);
    }
    std::string string() const {
        if (!node.is_string()) fail(setting.name() + " must be a string");
        return *node.value<std::string>();
    }
    std::vector<std::string> strings() const {
        const toml::array* arr = node.as_array();
        if (!arr) fail(setting.name() + " must be an array of strings");
        std::vector<std::string> list;
        for (const auto& el : *arr) {
            if (!el.is_string()) fail(setting.name() + " must hold strings only", &el);
            list.push_back(*el.value<std::string>());
        }
        return list;
    }
};

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}
template <typename List, typename Text>
std::string list_text(const List& list, Text text) {
    std::string out = "[";
    for (const auto& v : list) out += (out.size() > 1 ? ", " : "") + quoted(text(v));
    return out + "]";
}

// How each type of setting is read from TOML and shown in the reference.
template <typename T>
struct Kind;

template <typename T>
requires std::integral<T> &&(!std::same_as<T, bool>)struct Kind<T> {
    static constexpr const char* type = "integer";
    static T read(const Reading& r) { return static_cast<T>(r.integer()); }
    static std::string show(T v) { return std::to_string(v); }
};

template <>
struct Kind<std::chrono::milliseconds> {  // keys named *_ms
    static constexpr const char* type = "integer";
    static std::chrono::milliseconds read(const Reading& r) {
        return std::chrono::milliseconds(r.integer());
    }
    static std::string show(std::chrono::milliseconds v) { return std::to_string(v.count()); }
};

template <>
struct Kind<bool> {
    static constexpr const char* type = "boolean";
    static bool read(const Reading& r) {
        if (!r.node.is_boolean()) r.fail(r.setting.name() + " must be true or false");
        return *r.node.value<bool>();
    }
    static std::string show(bool v) { return v ? "true" : "false"; }
};

template <>
struct Kind<double> {
    static constexpr const char* type = "number";
    static double read(const Reading& r) {
        auto v = r.node.value<double>();
        if (!(r.node.is_floating_point() || r.node.is_integer()) || !v)
            r.fail(r.setting.name() + " must be a number");
        if (*v < double(r.setting.min) || *v > double(r.setting.max)) r.fail(r.out_of_bounds());
        return *v;
    }
    static std::string show(double v) {
        std::ostringstream os;
        os << v;
        return os.str();
    }
};

template <>
struct Kind<std::string> {
    static constexpr const char* type = "string";
    static std::string read(const Reading& r) { return r.string(); }
    static std::string show(const std::string& v) { return quoted(v); }
};

template <>
struct Kind<std::vector<std::string>> {
    static constexpr const char* type = "array of strings";
    static std::vector<std::string> read(const Reading& r) { return r.strings(); }
    static std::string show(const std::vector<std::string>& v) {
        return list_text(v, [](const std::string& s) { return s; });
    }
};

template <>
struct Kind<base::LogLevel> {
    static constexpr const char* type = "string";
    static base::LogLevel read(const Reading& r) {
        if (auto level = base::log_level_from_text(r.string())) return *level;
        r.fail("log_level must be debug, info, warning or error");
    }
    static std::string show(base::LogLevel v) {
        return quoted(std::string(base::log_level_text(v)));
    }
};

template <>
struct Kind<server::Acl> {
    static constexpr const char* type = "array of strings";
    static server::Acl read(const Reading& r) {
        try {
            return server::Acl::parse(r.strings());
        } catch (const std::invalid_argument& e) {
            r.fail(e.what());
        }
    }
    static std::string show(const server::Acl& v) {
        return Kind<std::vector<std::string>>::show(v.text());
    }
};

template <>
struct Kind<std::shared_ptr<const server::Acl>> {  // empty: none
    static constexpr const char* type = "array of strings";
    static std::shared_ptr<const server::Acl> read(const Reading& r) {
        if (r.strings().empty()) return nullptr;
        return std::make_shared<const server::Acl>(Kind<server::Acl>::read(r));
    }
    static std::string show(const std::shared_ptr<const server::Acl>& v) {
        return v ? Kind<server::Acl>::show(*v) : "[]";
    }
};

template <>
struct Kind<std::vector<wire::Name>> {
    static constexpr const char* type = "array of strings";
    static std::vector<wire::Name> read(const Reading& r) {
        std::vector<wire::Name> names;
        for (const auto& text : r.strings()) {
            auto name = wire::Name::from_text(text);
            if (!name) r.fail("not a domain name: " + text);
            names.push_back(*name);
        }
        return names;
    }
    static std::string show(const std::vector<wire::Name>& v) {
        return list_text(v, [](const wire::Name& n) { return n.to_text(); });
    }
};

template <>
struct Kind<std::vector<boost::asio::ip::address>> {
    static constexpr const char* type = "array of strings";
    static std::vector<boost::asio::ip::address> read(const Reading& r) {
        std::vector<boost::asio::ip::address> out;
        for (const auto& text : r.strings()) {
            boost::system::error_code ec;
            auto ip = boost::asio::ip::make_address(text, ec);
            if (ec) r.fail(r.setting.name() + ": not an IP address: " + text);
            out.push_back(ip);
        }
        return out;
    }
    static std::string show(const std::vector<boost::asio::ip::address>& v) {
        return list_text(v, [](const boost::asio::ip::address& a) { return a.to_string(); });
    }
};

template <>
struct Kind<wire::Name> {
    static constexpr const char* type = "string";
    static wire::Name read(const Reading& r) {
        auto name = wire::Name::from_text(r.string());
        if (!name) r.fail(r.setting.name() + ": not a domain name: " + r.string());
        return *name;
    }
    static std::string show(const wire::Name& v) { return quoted(v.to_text()); }
};

// "IP", "IP@PORT" or "IP@PORT#NAME" (as Unbound writes forward-addr), IPv4 or IPv6. The
// port is left 0 when not given: conf/config.cpp settles it once it knows whether the table
// says tls (853, RFC 7858 §3.1) or not (53), and checks #NAME against tls.
template <>
struct Kind<std::vector<engine::RouteServer>> {
    static constexpr const char* type = "array of strings";
    static engine::RouteServer server(const Reading& r, const std::string& text) {
        auto hash = text.find('#');
        std::string name = hash == std::string::npos ? "" : text.substr(hash + 1);
        std::string addr = text.substr(0, hash);
        auto at = addr.find('@');
        std::optional<uint16_t> port = 0;  // not given
        if (at != std::string::npos) {
            std::string digits = addr.substr(at + 1);
            bool ok = !digits.empty() && digits.size() <= 5 &&
                      digits.find_first_not_of("0123456789") == std::string::npos;
            unsigned long n = ok ? std::stoul(digits) : 0;
            port = n >= 1 && n <= 65535 ? std::optional(static_cast<uint16_t>(n)) : std::nullopt;
        }
        auto ip = port ? upstream::ServerAddr::parse(addr.substr(0, at), *port) : std::nullopt;
        // The name as SNI wants it: no trailing dot (RFC 6066 §3).
        if (name.ends_with('.')) name.pop_back();
        auto dns_name = wire::Name::from_text(name);
        if (!ip || (hash != std::string::npos && (!dns_name || dns_name->is_root())))
            r.fail(r.setting.name() + ": not IP, IP@PORT or IP@PORT#NAME: " + text);
        return {*ip, name};
    }
    static std::vector<engine::RouteServer> read(const Reading& r) {
        std::vector<engine::RouteServer> out;
        for (const auto& text : r.strings()) out.push_back(server(r, text));
        return out;
    }
    static std::string show(const std::vector<engine::RouteServer>& v) {
        return list_text(v, [](const engine::RouteServer& s) {
            std::string out = s.addr.to_string();
            return s.auth_name.empty() ? out : out + "#" + s.auth_name;
        });
    }
};

template <>
struct Kind<std::optional<upstream::CookieSecret>> {  // 32 hex digits; empty: unset
    static constexpr const char* type = "string";
    static std::optional<upstream::CookieSecret> read(const Reading& r) {
        std::string text = r.string();
        if (text.empty()) return std::nullopt;
        upstream::CookieSecret secret{};
        if (!upstream::parse_cookie_secret(text, secret))
            r.fail("cookie_secret must be 32 hex digits");
        return secret;
    }
    static std::string show(const std::optional<upstream::CookieSecret>& v) {
        static const char* kHex = "0123456789abcdef";
        std::string hex;
        if (v)
            for (uint8_t b : *v) hex += {kHex[b >> 4], kHex[b & 15]};
        return quoted(hex);
    }
};

}  // namespace

template <typename At>
Setting::Setting(const char* section, const char* key, At, int64_t min, int64_t max,
                 const char* help)
    : section(section), key(key), min(min), max(max), help(help) {
    using T = std::remove_cvref_t<decltype(At{}(std::declval<Config&>()))>;
    type = Kind<T>::type;
    read = [](Config& cfg, const toml::node& node, const Setting& s, const std::string& where) {
        At{}(cfg) = Kind<T>::read(Reading{node, s, where});
    };
    show = [](const Config& cfg) { return Kind<T>::show(At{}(cfg)); };
}

template <typename ListAt, typename At>
Setting::Setting(const char* section, const char* key, ListAt, At, int64_t min, int64_t max,
                 const char* help)
    : section(section), key(key), min(min), max(max), help(help) {
    using List = std::remove_cvref_t<decltype(ListAt{}(std::declval<Config&>()))>;
    using Element = typename List::value_type;
    using T = std::remove_cvref_t<decltype(At{}(std::declval<Element&>()))>;
    type = Kind<T>::type;
    read = [](Config& cfg, const toml::node& node, const Setting& s, const std::string& where) {
        At{}(ListAt{}(cfg).back()) = Kind<T>::read(Reading{node, s, where});
    };
    show = [](const Config&) {
        const Element fresh{};
        return Kind<T>::show(At{}(fresh));
    };
    add_element = [](Config& cfg) { ListAt{}(cfg).emplace_back(); };
}

void fail(const std::string& where, const toml::source_region& src, const std::string& what) {
    throw ConfigError(where + ":" + std::to_string(src.begin.line) + ": " + what);
}

namespace {

// The member of a Config that a setting is read into.
#define AT(member) ([](auto& cfg) -> auto& { return cfg.member; })

// The one table: parsing, defaults and documentation all come from here.
const Setting kSettings[] = {
    {"server", "listen", AT(server.listen), 0, 0,
     "Addresses for UDP and TCP (\"ip:port\", \"[ipv6]:port\")."},
    {"server", "threads", AT(server.threads), 0, 256, "Worker threads; 0 means one per CPU core."},
    {"server", "log_level", AT(server.log_level), 0, 0, "debug, info, warning or error."},
    {"server", "tcp_idle_timeout_ms", AT(server.tcp.idle_timeout), 100, 600'000,
     "Close an idle TCP connection after this long."},
    {"server", "tcp_max_connections", AT(server.tcp.max_connections), 1, 1'000'000,
     "Open TCP connections over all workers."},
    {"server", "tcp_max_connections_per_client", AT(server.tcp_max_connections_per_client), 1,
     1'000'000, "Open TCP connections one client address may hold."},
    {"server", "tcp_max_pipelined", AT(server.tcp.max_pipelined), 1, 65'535,
     "Queries resolving at once on one TCP connection."},
    {"server", "edns_buffer_size", AT(server.front_door.edns_buffer_size), 512, 4096,
     "Largest UDP answer sent and EDNS size advertised (RFC 6891)."},
    {"server", "access_control", AT(server.front_door.acl), 0, 0,
     "Client networks and what they get: \"NET/LEN allow|refuse|deny\" (deny drops). The most "
     "specific match wins; unmatched clients are refused."},
    {"server", "listen_access_control", AT(server.listen_access_control), 0, 0,
     "Access lists of single listen addresses, overriding access_control there: "
     "\"ADDRESS = NET/LEN action, NET/LEN action\" (ADDRESS as written in listen)."},
    {"server", "max_inflight", AT(server.front_door.max_inflight), 1, 1'000'000,
     "Client questions waiting on resolutions at once (identical ones share a resolution but "
     "count each); beyond it new ones get SERVFAIL."},
    {"server", "max_inflight_per_client", AT(server.front_door.max_inflight_per_client), 1,
     1'000'000,
     "Of those, how many one client address (an IPv6 /64) may hold, over UDP, TCP, DoT and DoH "
     "together; beyond it its new ones get SERVFAIL."},
    {"server", "user", AT(server.user), 0, 0,
     "After binding its ports, run as this user (e.g. \"port53\"); empty keeps the current user."},
    {"server", "group", AT(server.group), 0, 0,
     "Group to run as with `user`; empty means the user's primary group."},
    {"server", "drain_timeout_ms", AT(server.drain_timeout), 0, 60'000,
     "On SIGTERM, how long questions in flight may take to finish before exit."},
    {"server", "answer_cookies", AT(server.front_door.answer_cookies), 0, 0,
     "Give clients that send a DNS cookie a server cookie (RFC 7873, RFC 9018)."},
    {"server", "cookie_secret", AT(server.front_door.cookie_secret), 0, 0,
     "32 hex digits keying server cookies; empty: random at each start. Instances behind one "
     "address share it."},
    {"ratelimit", "queries_per_second", AT(server.front_door.rate_limit.queries_per_second), 0,
     10'000'000, "UDP queries a second accepted per client prefix; more are dropped. 0: no cap."},
    {"ratelimit", "responses_per_second", AT(server.front_door.rate_limit.responses_per_second), 0,
     10'000'000, "Response rate limiting: UDP answers a second per client prefix. 0: off."},
    {"ratelimit", "slip", AT(server.front_door.rate_limit.slip), 0, 100,
     "Every Nth rate-limited answer is sent truncated (TC) so real clients retry over TCP; 0: drop "
     "all."},
    {"ratelimit", "ipv4_prefix", AT(server.front_door.rate_limit.ipv4_prefix), 8, 32,
     "IPv4 clients are counted per prefix of this length."},
    {"ratelimit", "ipv6_prefix", AT(server.front_door.rate_limit.ipv6_prefix), 16, 128,
     "IPv6 clients are counted per prefix of this length."},
    {"tunnel", "detection", AT(server.front_door.tunnel.enabled), 0, 0,
     "Flag (log and count) clients whose cache misses look like DNS tunnelling."},
    {"tunnel", "long_label", AT(server.front_door.tunnel.long_label), 8, 63,
     "Labels this long or longer are checked for encoded-data entropy."},
    {"tunnel", "entropy_bits", AT(server.front_door.tunnel.entropy_bits), 0, 8,
     "Shannon bits per character above which a long label looks encoded."},
    {"tunnel", "unique_names", AT(server.front_door.tunnel.unique_names), 1, 1'000'000,
     "Cache misses under one domain per client per window that count as a burst."},
    {"tunnel", "txt_null_queries", AT(server.front_door.tunnel.txt_null_queries), 1, 1'000'000,
     "TXT/NULL cache misses per client per window that count as heavy use."},
    {"tunnel", "window_seconds", AT(server.front_door.tunnel.window_seconds), 1, 86'400,
     "Length of the counting window, seconds."},
    {"tunnel", "refuse_domains", AT(server.front_door.tunnel.refuse_domains), 0, 0,
     "Flagged queries under these domains are answered REFUSED."},
    {"cache", "size_mb", AT(cache.size_mb), 1, 1'048'576,
     "Memory bound of all caches together, MiB."},
    {"cache", "min_ttl", AT(cache.ttl.min_ttl), 0, 86'400, "Lower bound on cached TTLs, seconds."},
    {"cache", "max_ttl", AT(cache.ttl.max_ttl), 1, 604'800, "Upper bound on cached TTLs, seconds."},
    {"cache", "max_negative_ttl", AT(cache.ttl.max_negative_ttl), 0, 86'400,
     "Upper bound on NXDOMAIN/NODATA caching (RFC 2308), seconds."},
    {"cache", "prefetch", AT(server.front_door.prefetch), 0, 0,
     "Refresh an answer asked for in the last tenth of its TTL, before it expires."},
    {"cache", "serve_stale", AT(server.front_door.serve_stale), 0, 0,
     "When every authority fails, answer from expired data with EDE 3 (RFC 8767)."},
    {"cache", "max_stale", AT(server.front_door.max_stale), 0, 604'800,
     "How long past expiry data may be served stale, seconds."},
    {"cache", "stale_ttl", AT(server.front_door.stale_ttl), 1, 3600,
     "TTL given to stale answers, seconds (RFC 8767 suggests 30)."},
    {"cache", "file", AT(cache.file), 0, 0,
     "Cache file: read at start, written on shutdown, so a restart answers from cache; empty: "
     "off."},
    {"resolver", "root_hints", AT(resolver.root_hints), 0, 0,
     "Root hints file in zone format; empty uses the built-in IANA hints."},
    {"resolver", "trust_anchor", AT(resolver.trust_anchor), 0, 0,
     "Trust anchor file (DS or DNSKEY, zone format); empty uses the built-in root anchors."},
    {"resolver", "trust_anchor_state", AT(resolver.trust_anchor_state), 0, 0,
     "RFC 5011 state file: the root's key-signing keys are tracked there (read at start, "
     "rewritten atomically after each change) and new ones trusted after the add hold-down; "
     "empty: off, the anchor stays as configured."},
    {"resolver", "trust_anchor_add_holddown", AT(resolver.trust_anchor_holddowns.add), 0,
     31'536'000, "Seconds a new key must be seen before it is trusted (RFC 5011 §2.4.1)."},
    {"resolver", "trust_anchor_del_holddown", AT(resolver.trust_anchor_holddowns.remove), 0,
     31'536'000, "Seconds a revoked key is kept (as revoked) before it is removed."},
    {"resolver", "trust_anchor_keep_missing", AT(resolver.trust_anchor_holddowns.keep_missing), 0,
     315'360'000,
     "Seconds a trusted key may be missing from the DNSKEY set before it is removed; "
     "0 keeps it."},
    {"resolver", "trust_anchor_refresh", AT(resolver.trust_anchor_holddowns.refresh), 0, 1'296'000,
     "Seconds between refreshes of the anchored DNSKEY set; 0 uses the RFC 5011 §2.3 "
     "timer (half the TTL, 1 hour to 15 days)."},
    {"resolver", "tls_ca_file", AT(resolver.tls_ca_file), 0, 0,
     "CA certificates (PEM) that DoT forward servers' certificates must chain to; empty uses "
     "the system's store."},
    {"resolver", "dnssec_validation", AT(resolver.engine.validate), 0, 0,
     "Validate DNSSEC from the trust anchor down; bogus answers become SERVFAIL with an Extended "
     "DNS Error."},
    {"resolver", "negative_trust_anchors", AT(resolver.negative_trust_anchors), 0, 0,
     "Domains not to validate (RFC 7646), e.g. a broken internal zone."},
    {"resolver", "nsec3_max_iterations", AT(resolver.engine.dnssec_limits.nsec3_max_iterations), 0,
     2500, "NSEC3 proofs with more iterations are treated as insecure (RFC 9276)."},
    {"resolver", "allow_loopback_upstream", AT(resolver.engine.allow_loopback_upstream), 0, 0,
     "Query authorities on 127.0.0.0/8 and ::1 (off, as in Unbound; on for test labs)."},
    {"resolver", "ipv4", AT(resolver.engine.use_ipv4), 0, 0, "Query authorities over IPv4."},
    {"resolver", "ipv6", AT(resolver.engine.use_ipv6), 0, 0, "Query authorities over IPv6."},
    {"resolver", "outgoing_v4", AT(resolver.outgoing_v4), 0, 0,
     "Source address for IPv4 queries to authorities; empty lets the kernel choose."},
    {"resolver", "outgoing_v6", AT(resolver.outgoing_v6), 0, 0,
     "Source address for IPv6 queries to authorities; empty lets the kernel choose."},
    {"resolver", "qname_minimisation", AT(resolver.engine.qname_minimisation), 0, 0,
     "Send authorities only as much of the name as they need (RFC 9156, relaxed)."},
    {"resolver", "aggressive_nsec", AT(resolver.engine.aggressive_nsec), 0, 0,
     "Answer NXDOMAIN, NODATA and wildcard names from cached, validated NSEC/NSEC3 ranges without "
     "asking (RFC 8198)."},
    {"resolver", "send_cookies", AT(resolver.engine.send_cookies), 0, 0,
     "Send DNS cookies to authorities and drop replies that do not echo ours (RFC 7873)."},
    {"resolver", "use_0x20", AT(resolver.engine.use_0x20), 0, 0,
     "Randomise the case of names sent upstream and require it echoed (DNS 0x20), with fallback "
     "for servers that do not."},
    {"resolver", "max_outstanding_upstream", AT(resolver.upstream.max_outstanding), 1, 1'000'000,
     "Queries to authorities open at once over all workers; past it new ones fail fast."},
    {"resolver", "unwanted_reply_threshold", AT(resolver.upstream.unwanted_threshold), 0,
     1'000'000'000,
     "After this many unexpected replies (possible spoofing) the caches are flushed; 0: never."},
    {"resolver", "upstream_timeout_ms", AT(resolver.infra.unknown_rtt), 10, 10'000,
     "Timeout for an authority never measured; measured ones use SRTT + 4*RTTVAR."},
    {"resolver", "query_timeout_ms", AT(resolver.engine.query_timeout), 100, 120'000,
     "Give up on a client question (SERVFAIL) after this long."},
    {"resolver", "max_upstream_queries", AT(resolver.engine.max_upstream_queries), 1, 10'000,
     "Upstream queries one client question may cause."},
    {"resolver", "max_referrals", AT(resolver.engine.max_referrals), 1, 1000,
     "Referrals followed for one name."},
    {"resolver", "max_cname_chain", AT(resolver.engine.max_cname_chain), 1, 100,
     "CNAME/DNAME links followed for one question."},
    {"resolver", "max_ns_lookups", AT(resolver.engine.max_ns_lookups), 1, 100,
     "NS names without glue looked up per delegation (NXNS defence)."},
    {"local", "data", AT(local.data), 0, 0,
     "Records answered here, in zone-file form (\"nas.home.arpa. 3600 IN A 192.168.1.10\"); a "
     "name outside every local zone gets a zone of its own where only it is answered."},
    {"local", "data_ptr", AT(local.data_ptr), 0, 0,
     "Also answer the reverse (PTR) name of each A and AAAA record in local.data."},
    {"local", "zones", AT(local.zones), 0, 0,
     "Zones answered here and what names without data get: \"NAME static\" (NXDOMAIN/NODATA), "
     "\"NAME transparent\" (resolved as usual), \"NAME redirect\" (the apex's data) or \"NAME "
     "always_nodata\" (NODATA for every name it lacks)."},
    {"local", "zone_files", AT(local.zone_files), 0, 0,
     "Zone files served here authoritatively (AA), with wildcards; names below a delegation in "
     "them are resolved as usual."},
    {"local", "no_default", AT(local.no_default), 0, 0,
     "Built-in local zones not to serve: localhost., test., invalid., local., onion., "
     "home.arpa., resolver.arpa. and the RFC 6303 private reverse zones are answered here "
     "unless named (a lab that delegates test. needs \"test.\")."},
    {"blocklist", "files", AT(blocklist.files), 0, 0,
     "Blocklists: hosts files (\"0.0.0.0 ads.example\": that name), domain lists "
     "(\"ads.example\": it and the names below it) or adblock rules (\"||ads.example^\", "
     "\"@@||ok.example^\" to allow), reloaded when they change (watch_interval)."},
    {"blocklist", "allow_files", AT(blocklist.allow_files), 0, 0,
     "Lists in the same formats whose names are never blocked (they and the names below them)."},
    {"blocklist", "rpz_files", AT(blocklist.rpz_files), 0, 0,
     "Response Policy Zones (zone files): QNAME triggers (\"name\", \"*.name\" for the names "
     "below it) with CNAME . (NXDOMAIN), CNAME *. (NODATA), CNAME rpz-drop. (NXDOMAIN), CNAME "
     "rpz-passthru. (allow, over every list) or local data; answered with EDE 17 (Filtered), "
     "the first zone that lists a name deciding. Other triggers are skipped."},
    {"blocklist", "block", AT(blocklist.block), 0, 0,
     "Names blocked with everything below them, besides the files."},
    {"blocklist", "allow", AT(blocklist.allow), 0, 0,
     "Names never blocked, with everything below them: allowing wins over blocking."},
    {"blocklist", "answer", AT(blocklist.answer), 0, 0,
     "What a blocked name gets (with EDE 15, Blocked): \"nxdomain\", \"nodata\", \"null\" "
     "(0.0.0.0 and ::) or addresses (\"192.0.2.1\", \"2001:db8::1\" or both, comma-separated)."},
    {"blocklist", "ttl", AT(blocklist.ttl), 0, 86'400,
     "TTL of blocked answers, seconds; short, so a name unblocked works again soon."},
    {"blocklist", "urls", AT(blocklist.urls), 0, 0,
     "Lists in the same formats downloaded over HTTPS (\"https://host/path\"; the host resolved "
     "by port53d itself, the certificate verified), every url_refresh seconds; the last good "
     "copy is kept in download_dir and used at start."},
    {"blocklist", "allow_urls", AT(blocklist.allow_urls), 0, 0,
     "Allowlists downloaded the same way."},
    {"blocklist", "url_refresh", AT(blocklist.url_refresh), 1, 2'592'000,
     "Seconds between downloads of each URL's list; a failed one is tried again within 5 "
     "minutes."},
    {"blocklist", "download_dir", AT(blocklist.download_dir), 0, 0,
     "Where downloaded lists are kept (created if missing; writable by server.user)."},
    {"blocklist", "ca_file", AT(blocklist.ca_file), 0, 0,
     "PEM CA certificates the download servers are verified against; empty: the system's."},
    {"blocklist", "watch_interval", AT(blocklist.watch_interval), 0, 86'400,
     "Seconds between looks at the list and RPZ files: one that changed reloads the lists "
     "without dropping the cache. 0: read them at start only."},
    {"tls", "certificate", AT(tls.certificate), 0, 0,
     "PEM certificate chain for DoT and DoH; empty turns both off. Reloaded on SIGHUP."},
    {"tls", "private_key", AT(tls.private_key), 0, 0,
     "PEM private key of that certificate. Reloaded on SIGHUP."},
    {"tls", "access_control", AT(tls.dot_doh.acl), 0, 0,
     "Access list of the DoT and DoH listeners, like server.access_control; empty: the same "
     "as server.access_control."},
    {"tls", "dot_listen", AT(tls.dot_listen), 0, 0,
     "DNS over TLS addresses (RFC 7858, ALPN \"dot\"); used only with a certificate."},
    {"tls", "doh_listen", AT(tls.doh_listen), 0, 0,
     "DNS over HTTPS addresses (RFC 8484; HTTP/2 or HTTP/1.1 by ALPN); used only with a "
     "certificate."},
    {"tls", "doh_http_listen", AT(tls.doh_http_listen), 0, 0,
     "Plain-HTTP DoH addresses, for use behind a reverse proxy; empty: off."},
    {"tls", "doh_path", AT(tls.dot_doh.doh_path), 0, 0,
     "URL path of DoH queries (GET ?dns= and POST); the JSON API is at /resolve."},
    {"tls", "trusted_proxies", AT(tls.dot_doh.trusted_proxies), 0, 0,
     "Proxies (IP addresses) whose X-Forwarded-For names the client on the plain-HTTP DoH "
     "listener; the ACL then applies to that client."},
    {"tls", "idle_timeout_ms", AT(tls.dot_doh.idle_timeout), 100, 600'000,
     "Close an idle DoT or DoH connection after this long."},
    {"tls", "max_connections", AT(tls.dot_doh.max_connections), 1, 1'000'000,
     "Open DoT and DoH connections over all workers."},
    {"tls", "doh_max_streams", AT(tls.dot_doh.max_streams), 1, 10'000,
     "Concurrent HTTP/2 streams per DoH connection (SETTINGS_MAX_CONCURRENT_STREAMS)."},
    {"ddr", "enabled", AT(ddr.enabled), 0, 0,
     "With a certificate, answer _dns.resolver.arpa. SVCB (RFC 9462) with the DoT and DoH "
     "addresses, so devices asking over port 53 find encrypted DNS by themselves (Windows 11, "
     "Android, browsers); also at _dns.NAME for clients that know the name."},
    {"ddr", "name", AT(ddr.name), 0, 0,
     "The resolver's name in those records, which the certificate must hold (the client "
     "verifies it, and the port-53 address as an IP SAN, RFC 9462 §4.2); empty: the "
     "certificate's first DNS name. A certificate without one and no name: no DDR."},
    {"ddr", "ttl", AT(ddr.ttl), 0, 86'400, "TTL of the DDR records, seconds."},
    {"console", "listen", AT(console.listen), 0, 0,
     "Address (\"ip:port\", e.g. \"192.168.1.2:8443\") of the web console, over HTTPS; empty: "
     "off. Needs password_hash and a certificate."},
    {"console", "access_control", AT(console.acl), 0, 0,
     "Who may reach the console, as server.access_control (add your LAN); others are "
     "disconnected unanswered."},
    {"console", "certificate", AT(console.certificate), 0, 0,
     "PEM certificate chain of the console; empty: tls.certificate."},
    {"console", "private_key", AT(console.private_key), 0, 0,
     "Its private key (PEM); empty: tls.private_key."},
    {"console", "password_hash", AT(console.password_hash), 0, 0,
     "The console password as scrypt (\"$scrypt$ln=15,r=8,p=1$...\"), printed by "
     "`port53d --hash-password` from the password on its standard input."},
    {"console", "session_ttl", AT(console.session_ttl), 60, 2'592'000,
     "Seconds a login lasts (the session cookie's Max-Age)."},
    {"console", "login_attempts", AT(console.login_attempts), 1, 1000,
     "Failed logins a minute one client address may make; then it waits (HTTP 429)."},
    {"console", "state_file", AT(console.state_file), 0, 0,
     "Where the console keeps what it changed (names blocked and allowed, local records, lists "
     "turned off), merged into this configuration at every start and reload; writable by "
     "server.user. Empty: the console changes nothing."},
    {"console", "recent_queries", AT(console.recent_queries), 100, 10'000'000,
     "Latest answered queries kept for the console's searchable log (about 330 bytes each), "
     "over all workers; top names and clients come from 10-minute counts kept for a day."},
    {"metrics", "listen", AT(metrics.listen), 0, 0,
     "Addresses (\"ip:port\") of the Prometheus endpoint, GET /metrics in the text exposition "
     "format; empty: off."},
    {"metrics", "access_control", AT(metrics.acl), 0, 0,
     "Who may scrape it, as server.access_control; others are disconnected unanswered."},
    {"proxy_protocol", "from", AT(proxy_protocol.from), 0, 0,
     "Load balancers (\"NET/LEN\" or addresses; dnsdist, HAProxy) that lead each UDP datagram and "
     "each TCP, DoT and DoH connection (before TLS) with a PROXY protocol v2 header naming the "
     "client, as PowerDNS's proxy-protocol-from; access lists, views, rate limits, tunnel "
     "detection, logs, dnstap and metrics then see that client, and answers go back to the "
     "proxy. On the listeners that expect it, these must send it (else dropped or closed) and "
     "a header from anyone else is dropped; other senders are served as themselves. A LOCAL "
     "header (a health check) stands for the proxy itself. Empty: off."},
    {"proxy_protocol", "listeners", AT(proxy_protocol.listeners), 0, 0,
     "The addresses (as written in server.listen, tls.dot_listen, tls.doh_listen or "
     "tls.doh_http_listen) that expect the header; empty: all of them."},
    {"redis", "enabled", AT(redis.enabled), 0, 0,
     "A second-level cache in Redis shared by a fleet, as Unbound's cachedb: a miss in this "
     "instance's cache looks there before recursing, and validated answers (secure or proven "
     "insecure, with their RRSIGs) are written there with their TTL. Read back they are "
     "validated again, so Redis cannot make anything more trusted than it was. Needs "
     "resolver.validate for any writes. A restart applies changes."},
    {"redis", "address", AT(redis.address), 0, 0,
     "Redis server: \"ip:port\" (as Unbound's redis-server-host and -port), or the path of "
     "its Unix socket (redis-server-path)."},
    {"redis", "prefix", AT(redis.prefix), 0, 0,
     "Namespace of the keys (\"PREFIX:v1:\" then the question): instances sharing a prefix "
     "share answers; use one per fleet with the same trust anchors."},
    {"redis", "timeout_ms", AT(redis.timeout), 1, 10'000,
     "Longest wait for a Redis lookup (redis-timeout); then the question is resolved without "
     "it (counted as a timeout). Redis down, slow or broken never fails a query."},
    {"redis", "max_pending_writes", AT(redis.max_pending_writes), 1, 1'000'000,
     "Writes a worker may have waiting for Redis; beyond them answers are not written "
     "(counted as dropped)."},
    {"control", "socket", AT(control.socket), 0, 0,
     "Unix socket port53-ctl talks to (e.g. \"/run/port53/control.sock\"), mode 0660; empty: "
     "off. Its directory must exist."},
    {"control", "group", AT(control.group), 0, 0,
     "Group that owns the control socket: its members may run port53-ctl; empty: the daemon's."},
    {"control", "tls_listen", AT(control.tls_listen), 0, 0,
     "Address (\"ip:port\", e.g. \"127.0.0.1:8953\") where port53-ctl may also connect over "
     "TLS with a client certificate, as unbound-control does; empty: off. Needs server_cert, "
     "server_key and client_ca."},
    {"control", "server_cert", AT(control.server_cert), 0, 0,
     "Certificate (PEM, chain) the TLS control listener presents."},
    {"control", "server_key", AT(control.server_key), 0, 0, "Its private key (PEM)."},
    {"control", "client_ca", AT(control.client_ca), 0, 0,
     "CA certificates (PEM): only clients with a certificate they signed may connect; "
     "others fail the handshake and send no command."},
    {"query_log", "file", AT(query_log.file), 0, 0,
     "One JSON line per answered query (time, client, transport, name, type, rcode, EDE, cache "
     "hit, latency) appended to this file; \"-\": standard output (journald); empty: off. "
     "Reopened on SIGUSR1 and port53-ctl reopen-logs (rotate: mv, then signal)."},
    {"query_log", "anonymise_v4_prefix", AT(query_log.anonymise_v4_prefix), 0, 32,
     "IPv4 clients are logged cut to this prefix length (24: 192.0.2.0); 32: whole."},
    {"query_log", "anonymise_v6_prefix", AT(query_log.anonymise_v6_prefix), 0, 128,
     "IPv6 clients are logged cut to this prefix length (48: 2001:db8:1::); 128: whole."},
    {"query_log", "buffer_kb", AT(query_log.buffer_kb), 4, 1'048'576,
     "Lines waiting for the writer thread, per worker; beyond it lines are dropped and counted "
     "(a warning says how many), so a slow disk never slows answers."},
    {"dnstap", "socket", AT(dnstap.socket), 0, 0,
     "dnstap (Frame Streams, protobuf dnstap.Dnstap) to this Unix socket, as Unbound's "
     "dnstap-socket-path; a reader that is not there yet is connected to when it appears. "
     "Empty: off."},
    {"dnstap", "client", AT(dnstap.client), 0, 0,
     "Send CLIENT_QUERY and CLIENT_RESPONSE messages (what clients ask and are answered)."},
    {"dnstap", "resolver", AT(dnstap.resolver), 0, 0,
     "Send RESOLVER_QUERY and RESOLVER_RESPONSE messages (what port53 asks authorities)."},
    {"dnstap", "identity", AT(dnstap.identity), 0, 0,
     "The identity field of each message (e.g. the host name); empty: left out."},
    {"dnstap", "queue", AT(dnstap.queue), 2, 16'384,
     "Messages waiting for the socket, per worker (a power of two); beyond it they are "
     "dropped, so a slow reader never slows answers."},
    {"security_log", "per_second", AT(security_log.per_second), 0, 1'000'000,
     "Warning lines per second, per worker, for each kind of security event (refused, "
     "rate-limited, tunnel-suspect, bogus, proxy), with the client's address; the rest are "
     "counted and reported as \"N more suppressed\" on the next line of that kind. 0: none."},
    // [[forward]] and [[stub]]: TOML arrays of tables, each one zone.
    {"forward", "zone", AT(resolver.engine.forward_zones), AT(zone), 0, 0,
     "Each [[forward]] table: a zone (\".\" for all) whose questions go, with RD=1, to "
     "resolvers of this network or an upstream resolver. Required."},
    {"forward", "servers", AT(resolver.engine.forward_zones), AT(servers), 0, 0,
     "Its resolvers, \"IP\" or \"IP@PORT\", chosen by response time, failing over. "
     "Required; loopback allowed. With tls: \"IP#NAME\" or \"IP@PORT#NAME\" (port 853 by "
     "default), NAME being what the server's certificate must hold."},
    {"forward", "tls", AT(resolver.engine.forward_zones), AT(tls), 0, 0,
     "Ask its resolvers over DNS over TLS only (RFC 7858), each certificate verified against "
     "resolver.tls_ca_file and the server's #NAME. Any failure fails the question: never a "
     "fallback to plain DNS."},
    {"forward", "first", AT(resolver.engine.forward_zones), AT(first), 0, 0,
     "When all of them fail, iterate from the root instead; off: SERVFAIL (fail closed)."},
    {"forward", "insecure", AT(resolver.engine.forward_zones), AT(insecure), 0, 0,
     "The zone is unsigned under a signed parent (an internal zone): a negative trust anchor "
     "for it. Answers are validated against the chain of trust otherwise."},
    {"stub", "zone", AT(resolver.engine.stub_zones), AT(zone), 0, 0,
     "Each [[stub]] table: a zone iterated from its own authoritative servers (internal zones "
     "without a public delegation). Required."},
    {"stub", "servers", AT(resolver.engine.stub_zones), AT(servers), 0, 0,
     "Its authoritative servers, \"IP\" or \"IP@PORT\". Required; loopback allowed."},
    {"stub", "first", AT(resolver.engine.stub_zones), AT(first), 0, 0,
     "When all of them fail, iterate from the root instead."},
    {"stub", "insecure", AT(resolver.engine.stub_zones), AT(insecure), 0, 0,
     "As forward.insecure."},
    // [[secondary]] and [[tsig_key]]: zone transfers (RFC 5936, RFC 1995) signed with TSIG.
    {"secondary", "zone", AT(secondaries), AT(zone), 0, 0,
     "Each [[secondary]] table: a zone held as a copy of its primaries' (AXFR, then IXFR), "
     "answered authoritatively (AA), refreshed by its SOA timers and on NOTIFY, and answered "
     "SERVFAIL once its SOA expire passes without a refresh. Required."},
    {"secondary", "primaries", AT(secondaries), AT(primaries), 0, 0,
     "Its primaries, \"IP\" or \"IP@PORT\", tried in order; NOTIFY is accepted only from "
     "these addresses. Required."},
    {"secondary", "tsig_key", AT(secondaries), AT(tsig_key), 0, 0,
     "Name of the [[tsig_key]] that signs its transfers and NOTIFYs; unsigned or wrongly "
     "signed ones are then refused. Empty: unsigned."},
    {"secondary", "file", AT(secondaries), AT(file), 0, 0,
     "Where the copy is kept (zone-file form, replaced atomically after each transfer); read "
     "at start so the zone is answered at once. Required."},
    {"secondary", "min_refresh", AT(secondaries), AT(min_refresh), 1, 604'800,
     "Lower bound on the SOA refresh and retry intervals, seconds."},
    {"secondary", "max_refresh", AT(secondaries), AT(max_refresh), 1, 604'800,
     "Upper bound on the SOA refresh and retry intervals, seconds."},
    {"secondary", "transfer_timeout", AT(secondaries), AT(transfer_timeout), 1, 3600,
     "Time allowed for one SOA query or one transfer, seconds."},
    {"tsig_key", "name", AT(tsig_keys), AT(name), 0, 0,
     "Each [[tsig_key]] table: a TSIG key (RFC 8945) by its name, as the primary knows it. "
     "Required."},
    {"tsig_key", "algorithm", AT(tsig_keys), AT(algorithm), 0, 0, "hmac-sha256 or hmac-sha512."},
    {"tsig_key", "secret", AT(tsig_keys), AT(secret), 0, 0, "The key, base64."},
    {"tsig_key", "secret_file", AT(tsig_keys), AT(secret_file), 0, 0,
     "A file holding the base64 key instead of secret (keep it out of the config)."},
    // [[view]]: split horizon (server/views.hpp); [view.local], [view.blocklist],
    // [[view.forward]] and [[view.stub]] take the keys of the top-level tables.
    {"view", "name", AT(views), AT(name), 0, 0,
     "Each [[view]] table: a group of clients with its own [view.local], [view.blocklist], "
     "[[view.forward]] and [[view.stub]] tables (the top-level keys). Required, unique."},
    {"view", "clients", AT(views), AT(clients), 0, 0,
     "Client networks (\"NET/LEN\" or an address) of the view; of all views' networks the "
     "most specific wins."},
    {"view", "listeners", AT(views), AT(listeners), 0, 0,
     "Listen addresses (of server.listen or tls.*_listen, as written there) whose queries get "
     "the view; before clients."},
    {"view", "doh_paths", AT(views), AT(doh_paths), 0, 0,
     "DoH paths (\"/dns-query/kids\") that take queries for the view, besides tls.doh_path; "
     "before listeners. Clients matching no view get the top-level configuration."},
    {"view", "inherit", AT(views), AT(inherit), 0, 0,
     "The view adds to the top-level configuration: its local data is asked first, then the "
     "top level's; its blocklists and allowlists join the top level's; its forward and stub "
     "zones join the top level's, replacing one for the same zone. Off: only its own (the "
     "special-use names stay served)."},
};

#undef AT

}  // namespace

std::span<const Setting> settings() {
    return kSettings;
}

}  // namespace port53::conf
