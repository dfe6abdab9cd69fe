#include "conf/config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "conf/console_state.hpp"
#include "conf/settings.hpp"
#include "filter/download.hpp"
#include "local/local_config.hpp"
#include "secondary/secondary_config.hpp"
#include "server/acl.hpp"
#include "wire/name.hpp"

namespace port53::conf {
namespace {

// The TLS control listener fails closed: without a client CA anyone could connect.
template <typename LineOf>
void check_control(const Config::Control& c, LineOf line_of, const std::string& where) {
    if (c.tls_listen.empty()) return;
    try {
        parse_listen_address(c.tls_listen);
    } catch (const std::invalid_argument& e) {
        fail(where, line_of("control.tls_listen"), std::string("control.tls_listen: ") + e.what());
    }
    if (c.server_cert.empty() || c.server_key.empty() || c.client_ca.empty())
        fail(where, line_of("control.tls_listen"),
             "control.tls_listen needs control.server_cert, server_key and client_ca");
}

template <typename LineOf>
void check_console(const Config& cfg, LineOf line_of, const std::string& where) {
    const auto& c = cfg.console;
    if (c.listen.empty()) return;
    try {
        parse_listen_address(c.listen);
    } catch (const std::invalid_argument& e) {
        fail(where, line_of("console.listen"), std::string("console.listen: ") + e.what());
    }
    if (c.password_hash.empty())
        fail(where, line_of("console.listen"),
             "console.listen needs console.password_hash (port53d --hash-password)");
    if (c.certificate.empty() && cfg.tls.certificate.empty())
        fail(where, line_of("console.listen"),
             "console.listen needs console.certificate or tls.certificate");
    if (c.certificate.empty() != c.private_key.empty())
        fail(where, line_of("console.certificate"),
             "console.certificate and console.private_key go together");
}

template <typename LineOf>
void check_redis(const upstream::RedisSettings& r, LineOf line_of, const std::string& where) {
    if (!r.enabled) return;
    try {
        upstream::check_redis_address(r.address);
    } catch (const std::invalid_argument& e) {
        fail(where, line_of("redis.address"), e.what());
    }
}

template <typename LineOf>
void check_tls(const Config& cfg, LineOf line_of, const std::string& where) {
    const std::pair<const std::vector<std::string>*, const char*> lists[] = {
        {&cfg.tls.dot_listen, "tls.dot_listen"},
        {&cfg.tls.doh_listen, "tls.doh_listen"},
        {&cfg.tls.doh_http_listen, "tls.doh_http_listen"},
        {&cfg.metrics.listen, "metrics.listen"}};
    for (const auto& [list, path] : lists) {
        for (const auto& l : *list) {
            try {
                parse_listen_address(l);
            } catch (const std::invalid_argument& e) {
                fail(where, line_of(path), std::string(path) + ": " + e.what());
            }
        }
    }
    if (!cfg.tls.certificate.empty() && cfg.tls.private_key.empty())
        fail(where, line_of("tls.certificate"), "tls.certificate needs tls.private_key");
    if (cfg.tls.certificate.empty() && !cfg.tls.private_key.empty())
        fail(where, line_of("tls.private_key"), "tls.private_key needs tls.certificate");
    const std::string& path = cfg.tls.dot_doh.doh_path;
    if (path.empty() || path[0] != '/' || path.find_first_of("?# ") != std::string::npos)
        fail(where, line_of("tls.doh_path"),
             "tls.doh_path must start with '/' and hold no '?', '#' or space");
    if (auto n = wire::Name::from_text(cfg.ddr.name); !cfg.ddr.name.empty() && (!n || n->is_root()))
        fail(where, line_of("ddr.name"), "ddr.name: not a host name: " + cfg.ddr.name);
}

// Every proxy a network, every listener one that is listened on.
template <typename LineOf>
void check_proxy_protocol(const Config& cfg, LineOf line_of, const std::string& where) {
    for (const auto& net : cfg.proxy_protocol.from)
        if (!server::Network::parse(net))
            fail(where, line_of("proxy_protocol.from"),
                 "proxy_protocol.from: not an address or NET/LEN: " + net);
    const std::vector<std::string>* lists[] = {&cfg.server.listen, &cfg.tls.dot_listen,
                                               &cfg.tls.doh_listen, &cfg.tls.doh_http_listen};
    for (const auto& l : cfg.proxy_protocol.listeners)
        if (std::none_of(std::begin(lists), std::end(lists), [&](const auto* list) {
                return std::find(list->begin(), list->end(), l) != list->end();
            }))
            fail(where, line_of("proxy_protocol.listeners"),
                 "proxy_protocol.listeners: not a listen address: " + l);
}

}  // namespace

// The port and name of each server of a [[forward]] or [[stub]] table, once all its keys are
// read (`tls` may follow `servers`): without @PORT, 853 for DoT (RFC 7858 §3.1), 53
// otherwise; with tls every server needs the name to authenticate it by, without tls none
// may have one (it would be ignored, and plain DNS taken for DoT).
void settle_route(engine::ZoneRoute& r, const toml::table& t, const std::string& where) {
    const toml::node* servers = t.get("servers");
    for (auto& s : r.servers) {
        if (s.addr.port == 0) s.addr.port = r.tls ? 853 : 53;
        if (r.tls && s.auth_name.empty())
            fail(where, servers->source(),
                 "with tls = true each server needs its certificate's name, IP#NAME or "
                 "IP@PORT#NAME: " +
                     s.addr.to_string());
        if (!r.tls && !s.auth_name.empty())
            fail(where, servers->source(),
                 "#" + s.auth_name + " authenticates a DoT server: it needs tls = true");
    }
}

template <typename LineOf>
void check_blocklist(const filter::BlockSettings& block, LineOf line_of, const std::string& where) {
    if (!filter::BlockAnswer::parse(block.answer))
        fail(where, line_of("blocklist.answer"),
             "blocklist.answer must be nxdomain, nodata, null or addresses: " + block.answer);
    for (auto [names, path] :
         {std::pair{&block.block, "blocklist.block"}, std::pair{&block.allow, "blocklist.allow"}})
        for (const auto& n : *names)
            if (!wire::Name::from_text(n)) fail(where, line_of(path), "not a domain name: " + n);
    for (auto [urls, path] : {std::pair{&block.urls, "blocklist.urls"},
                              std::pair{&block.allow_urls, "blocklist.allow_urls"}})
        for (const auto& u : *urls)
            if (auto why = filter::check_download_url(u); !why.empty())
                fail(where, line_of(path), std::string(u).append(": ").append(why));
}

void check_routes(const std::vector<engine::ZoneRoute>& forward,
                  const std::vector<engine::ZoneRoute>& stub,
                  const std::function<toml::source_region(const char*)>& line_of,
                  const std::string& where, std::map<upstream::ServerAddr, std::string>& names) {
    std::vector<wire::Name> seen;
    for (auto [routes, section] : {std::pair{&forward, "forward"}, std::pair{&stub, "stub"}}) {
        for (const auto& r : *routes) {
            if (r.servers.empty())
                fail(where, line_of(section),
                     std::string(section) + " " + r.zone.to_text() + ": servers is empty");
            if (std::find(seen.begin(), seen.end(), r.zone) != seen.end())
                fail(where, line_of(section),
                     "zone " + r.zone.to_text() + " has more than one [[forward]] or [[stub]]");
            seen.push_back(r.zone);
        }
    }
    for (const auto& r : forward)
        for (const auto& s : r.servers)
            if (r.tls && !names.emplace(s.addr, s.auth_name).second && names[s.addr] != s.auth_name)
                fail(where, line_of("forward"),
                     "DoT server " + s.addr.to_string() + " has two names: " + names[s.addr] +
                         " and " + s.auth_name);
}

namespace {

// Checks that involve meaning rather than type, tied to the line of the offending key.
void check_semantics(const Config& cfg, const toml::table& root, const std::string& where) {
    auto line_of = [&](const char* path) {
        auto n = root.at_path(path);
        return n ? n.node()->source() : toml::source_region{};
    };
    for (const auto& l : cfg.server.listen) {
        try {
            parse_listen_address(l);
        } catch (const std::invalid_argument& e) {
            fail(where, line_of("server.listen"), e.what());
        }
    }
    if (cfg.server.listen.empty()) fail(where, line_of("server.listen"), "server.listen is empty");
    if (!cfg.resolver.engine.use_ipv4 && !cfg.resolver.engine.use_ipv6)
        fail(where, line_of("resolver.ipv4"), "ipv4 and ipv6 are both off");
    if (cfg.cache.ttl.min_ttl > cfg.cache.ttl.max_ttl)
        fail(where, line_of("cache.min_ttl"), "min_ttl exceeds max_ttl");
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
    try {
        server::Acl::parse(cfg.metrics.acl);
    } catch (const std::invalid_argument& e) {
        fail(where, line_of("metrics.access_control"), e.what());
    }
    check_blocklist(cfg.blocklist, line_of, where);
    try {
        local::build_local_zones(cfg.local);
    } catch (const local::LocalSettingError& e) {
        fail(where, line_of(("local." + e.key).c_str()), e.what());
    }
    std::map<upstream::ServerAddr, std::string> dot_names;
    check_routes(cfg.resolver.engine.forward_zones, cfg.resolver.engine.stub_zones, line_of, where,
                 dot_names);
    check_views(cfg, line_of("view"), where, dot_names);
    try {
        secondary::build_tsig_keys(cfg.tsig_keys);
        secondary::check_secondaries(cfg.secondaries, cfg.tsig_keys);
    } catch (const secondary::SecondarySettingError& e) {
        auto dot = e.key.find('.');
        fail(where, line_of(e.key.substr(0, dot).c_str()), e.what());
    }
    check_ip(cfg.resolver.outgoing_v4, AF_INET, "resolver.outgoing_v4");
    check_ip(cfg.resolver.outgoing_v6, AF_INET6, "resolver.outgoing_v6");
    check_tls(cfg, line_of, where);
    check_control(cfg.control, line_of, where);
    check_console(cfg, line_of, where);
    check_proxy_protocol(cfg, line_of, where);
    check_redis(cfg.redis, line_of, where);
}

}  // namespace

const Setting* find_setting(std::string_view section, std::string_view key) {
    for (const auto& s : settings())
        if (section == s.section && key == s.key) return &s;
    return nullptr;
}

void read_table(Config& cfg, std::string_view section, const toml::table& tbl, bool element,
                const std::string& where) {
    for (const auto& [key, value] : tbl) {
        const Setting* found = find_setting(section, key.str());
        std::string name = std::string(section) + "." + std::string(key.str());
        if (!found) fail(where, value.source(), "unknown setting '" + name + "'");
        if (!found->add_element != !element)
            fail(where, value.source(),
                 element ? "[[" + std::string(section) + "]] takes no " + std::string(key.str())
                         : name + " belongs in a [[" + std::string(section) +
                               "]] table (one "
                               "per zone)");
        found->read(cfg, value, *found, where);
    }
}

namespace {

// The first key of an array of tables ([[forward]]): the one that adds an element.
const Setting* element_setting(std::string_view section) {
    for (const auto& s : settings())
        if (section == s.section && s.add_element) return &s;
    return nullptr;
}

// What each kind of table must hold, and what is settled once all its keys are read.
void read_element(Config& cfg, std::string_view section, const toml::table& t,
                  const std::string& where) {
    auto require = [&](std::initializer_list<const char*> keys) {
        std::string list;
        bool missing = false;
        for (const char* k : keys) {
            list += (list.empty() ? "" : " and ") + std::string(k);
            missing = missing || !t.contains(k);
        }
        if (missing) fail(where, t.source(), "each [[" + std::string(section) + "]] needs " + list);
    };
    auto& e = cfg.resolver.engine;
    if (section == "forward" || section == "stub") {
        require({"zone", "servers"});
        settle_route(section == "forward" ? e.forward_zones.back() : e.stub_zones.back(), t, where);
    } else if (section == "secondary") {
        require({"zone", "primaries", "file"});
    } else if (section == "tsig_key") {
        require({"name"});
    }
}

}  // namespace

void read_elements(Config& cfg, std::string_view section, const toml::array& tables,
                   const std::string& where) {
    const Setting* first = element_setting(section);
    for (const auto& el : tables) {
        first->add_element(cfg);
        read_table(cfg, section, *el.as_table(), true, where);
        read_element(cfg, section, *el.as_table(), where);
    }
}

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

std::vector<ListenerAccess> listener_access(const Config& cfg) {
    std::vector<ListenerAccess> out;
    for (const auto& entry : cfg.server.listen_access_control) {
        auto eq = entry.find('=');
        if (eq == std::string::npos)
            throw std::invalid_argument("listen access entry needs 'ADDRESS = rules': " + entry);
        auto trim = [](std::string s) {
            s.erase(0, s.find_first_not_of(" \t"));
            s.erase(s.find_last_not_of(" \t") + 1);
            return s;
        };
        ListenerAccess la{trim(entry.substr(0, eq)), {}};
        const auto& listen = cfg.server.listen;
        if (std::find(listen.begin(), listen.end(), la.address) == listen.end())
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

Config parse_config(const std::string& text, const std::string& where, bool with_console_state) {
    toml::table root;
    try {
        root = toml::parse(text, where);
    } catch (const toml::parse_error& e) {
        throw ConfigError(where + ":" + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description()));
    }
    Config cfg;
    for (const auto& [section, node] : root) {
        if (section.str() == "view") continue;  // once the top level is read: it may inherit
        if (const toml::table* tbl = node.as_table()) {
            read_table(cfg, section.str(), *tbl, false, where);
            continue;
        }
        // [[forward]]: one element of the section's list per table.
        const toml::array* tables = node.as_array();
        const Setting* first = element_setting(section.str());
        if (!tables || !tables->is_array_of_tables() || !first)
            fail(where, node.source(),
                 "unknown top-level key '" + std::string(section.str()) + "'");
        read_elements(cfg, section.str(), *tables, where);
    }
    // The console's changes join the top level before views inherit from it.
    if (with_console_state && !cfg.console.listen.empty() && !cfg.console.state_file.empty())
        apply_console_state(cfg, read_console_state(cfg.console.state_file));
    if (const toml::node* views = root.get("view")) read_views(cfg, *views, where);
    check_semantics(cfg, root, where);
    return cfg;
}

Config load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ":0: cannot open the configuration file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path, true);
}

std::string config_reference() {
    std::ostringstream out;
    out << "| setting | type | default | meaning |\n|---|---|---|---|\n";
    const Config defaults;
    for (const auto& s : settings())
        out << "| `" << s.name() << "` | " << s.type << " | `" << s.show(defaults) << "` | "
            << s.help << " |\n";
    return out.str();
}

}  // namespace port53::conf
