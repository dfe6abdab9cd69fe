// [[view]] tables (split horizon, server/views.hpp): how a view's clients are chosen, and
// its own [view.local], [view.blocklist], [[view.forward]] and [[view.stub]] tables, read
// with the same settings as the top level's.
#include "server/views.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

#include "conf/settings.hpp"
#include "filter/download.hpp"

namespace port53::conf {
namespace {

// The tables a view may hold, each read as the top-level table of that name.
constexpr std::string_view kViewTables[] = {"local", "blocklist", "forward", "stub"};

// With inherit, the view's lists add to the top level's (so an allow in either wins over a
// block in either: one set of lists); its answer and ttl replace the top level's if given.
filter::BlockSettings merged_blocklist(const filter::BlockSettings& top,
                                       const filter::BlockSettings& own, const toml::table* table) {
    filter::BlockSettings out = top;
    for (auto [to, from] :
         {std::pair{&out.files, &own.files}, std::pair{&out.allow_files, &own.allow_files},
          std::pair{&out.rpz_files, &own.rpz_files}, std::pair{&out.urls, &own.urls},
          std::pair{&out.allow_urls, &own.allow_urls}, std::pair{&out.block, &own.block},
          std::pair{&out.allow, &own.allow}})
        to->insert(to->end(), from->begin(), from->end());
    if (!table) return out;
    if (table->contains("answer")) out.answer = own.answer;
    if (table->contains("ttl")) out.ttl = own.ttl;
    if (table->contains("url_refresh")) out.url_refresh = own.url_refresh;
    if (table->contains("watch_interval")) out.watch_interval = own.watch_interval;
    if (table->contains("download_dir")) out.download_dir = own.download_dir;
    if (table->contains("ca_file")) out.ca_file = own.ca_file;
    return out;
}

// With inherit, the top level's routes, a view's own route replacing one for the same zone.
void merge_routes(const engine::EngineSettings& top, Config::View& v) {
    auto own = [&](const wire::Name& zone) {
        auto same = [&](const engine::ZoneRoute& r) { return r.zone == zone; };
        return std::any_of(v.forward_zones.begin(), v.forward_zones.end(), same) ||
               std::any_of(v.stub_zones.begin(), v.stub_zones.end(), same);
    };
    for (auto [to, from] : {std::pair{&v.forward_zones, &top.forward_zones},
                            std::pair{&v.stub_zones, &top.stub_zones}})
        for (const auto& r : *from)
            if (!own(r.zone)) to->push_back(r);
}

// One of a view's tables, read into a scratch Config with the top level's settings.
void read_view_table(Config::View& v, std::string_view key, const toml::node& node,
                     const std::string& where) {
    Config scratch;
    if (key == "forward" || key == "stub") {
        const toml::array* tables = node.as_array();
        if (!tables || !tables->is_array_of_tables())
            fail(where, node.source(),
                 "view." + std::string(key) + " must be [[view." + std::string(key) + "]] tables");
        read_elements(scratch, key, *tables, where);
        std::map<upstream::ServerAddr, std::string> names;  // checked over all views later
        check_routes(
            scratch.resolver.engine.forward_zones, scratch.resolver.engine.stub_zones,
            [&](const char*) { return node.source(); }, where, names);
        auto& routes = key == "forward" ? v.forward_zones : v.stub_zones;
        auto& read = key == "forward" ? scratch.resolver.engine.forward_zones
                                      : scratch.resolver.engine.stub_zones;
        routes = std::move(read);
        return;
    }
    const toml::table* table = node.as_table();
    if (!table) fail(where, node.source(), "view." + std::string(key) + " must be a table");
    read_table(scratch, key, *table, false, where);
    if (key == "local")
        v.local = std::move(scratch.local);
    else
        v.blocklist = std::move(scratch.blocklist);
}

void check_view(const Config& cfg, const Config::View& v, const toml::node& node,
                const std::string& where);

void read_view(Config& cfg, const toml::table& t, const std::string& where) {
    find_setting("view", "name")->add_element(cfg);
    // The view's own keys first (toml++ orders a table's keys by name, and `inherit` must
    // be known before the tables are merged), then its tables.
    auto is_table = [](std::string_view key) {
        return std::find(std::begin(kViewTables), std::end(kViewTables), key) !=
               std::end(kViewTables);
    };
    for (const auto& [key, value] : t) {
        if (is_table(key.str())) continue;
        const Setting* s = find_setting("view", key.str());
        if (!s)
            fail(where, value.source(), "unknown setting 'view." + std::string(key.str()) + "'");
        s->read(cfg, value, *s, where);
    }
    Config::View& v = cfg.views.back();
    for (const auto& [key, value] : t)
        if (is_table(key.str())) read_view_table(v, key.str(), value, where);
    check_view(cfg, v, t, where);
    // The special-use zones the top level does not serve are not served in any view.
    for (const auto& n : cfg.local.no_default) v.local.no_default.push_back(n);
    if (!v.inherit) return;
    const toml::node* own_blocklist = t.get("blocklist");
    v.blocklist = merged_blocklist(cfg.blocklist, v.blocklist,
                                   own_blocklist ? own_blocklist->as_table() : nullptr);
    merge_routes(cfg.resolver.engine, v);
}

bool same_address(const std::string& a, const std::string& b) {
    ListenAddress x = parse_listen_address(a), y = parse_listen_address(b);
    unsigned char xa[16] = {}, ya[16] = {};
    int af = x.ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (y.ip.find(':') == std::string::npos ? af != AF_INET : af != AF_INET6) return false;
    inet_pton(af, x.ip.c_str(), xa);
    inet_pton(af, y.ip.c_str(), ya);
    return x.port == y.port && std::equal(std::begin(xa), std::end(xa), std::begin(ya));
}

// A listener of a view is one of the addresses port53d listens on, written as there.
bool is_listen_address(const Config& cfg, const std::string& l) {
    for (const auto* list :
         {&cfg.server.listen, &cfg.tls.dot_listen, &cfg.tls.doh_listen, &cfg.tls.doh_http_listen})
        for (const auto& a : *list)
            if (same_address(a, l)) return true;
    return false;
}

void check_view(const Config& cfg, const Config::View& v, const toml::node& node,
                const std::string& where) {
    if (v.name.empty()) fail(where, node.source(), "each [[view]] needs a name");
    if (cfg.views.size() > 255) fail(where, node.source(), "more than 255 views");
    // "view 'NAME': " and the parts of what is wrong.
    auto bad = [&](std::initializer_list<std::string_view> what) {
        std::string text = "view '";
        text += v.name;
        text += "': ";
        for (auto part : what) text += part;
        fail(where, node.source(), text);
    };
    for (std::size_t i = 0; i + 1 < cfg.views.size(); ++i)
        if (cfg.views[i].name == v.name) bad({"a second view of that name"});
    if (v.clients.empty() && v.listeners.empty() && v.doh_paths.empty())
        bad({"needs clients, listeners or doh_paths (it would never be chosen)"});
    try {
        server::ViewSelector().add_clients(1, v.clients);
        for (const auto& l : v.listeners) parse_listen_address(l);
    } catch (const std::invalid_argument& e) {
        bad({e.what()});
    }
    for (const auto& l : v.listeners)
        if (!is_listen_address(cfg, l))
            bad({"not an address in server.listen or tls.*_listen: ", l});
    for (const auto& p : v.doh_paths) {
        if (p.empty() || p[0] != '/' || p.find_first_of("?# ") != std::string::npos)
            bad({"a DoH path must start with '/' and hold no '?', '#' or space: ", p});
        if (p == cfg.tls.dot_doh.doh_path || p == "/resolve")
            bad({"DoH path ", p, " is tls.doh_path or the JSON API's"});
        for (std::size_t i = 0; i + 1 < cfg.views.size(); ++i)
            for (const auto& other : cfg.views[i].doh_paths)
                if (other == p) bad({"DoH path ", p, " belongs to another view"});
    }
    for (std::size_t i = 0; i + 1 < cfg.views.size(); ++i)
        for (const auto& l : v.listeners)
            for (const auto& other : cfg.views[i].listeners)
                if (same_address(l, other)) bad({"listener ", l, " belongs to another view"});
    try {
        local::build_local_zones(v.local);
    } catch (const local::LocalSettingError& e) {
        bad({"local.", e.key, ": ", e.what()});
    }
    if (!filter::BlockAnswer::parse(v.blocklist.answer))
        bad({"blocklist.answer must be nxdomain, nodata, null or addresses: ", v.blocklist.answer});
    for (const auto* names : {&v.blocklist.block, &v.blocklist.allow})
        for (const auto& n : *names)
            if (!wire::Name::from_text(n)) bad({"not a domain name: ", n});
    for (const auto* urls : {&v.blocklist.urls, &v.blocklist.allow_urls})
        for (const auto& u : *urls)
            if (auto why = filter::check_download_url(u); !why.empty()) bad({u, ": ", why});
}

}  // namespace

void read_views(Config& cfg, const toml::node& views, const std::string& where) {
    const toml::array* tables = views.as_array();
    if (!tables || !tables->is_array_of_tables())
        fail(where, views.source(), "views are [[view]] tables");
    for (const auto& el : *tables) read_view(cfg, *el.as_table(), where);
}

void check_views(const Config& cfg, const toml::source_region& line, const std::string& where,
                 std::map<upstream::ServerAddr, std::string>& dot_names) {
    for (const auto& v : cfg.views) {
        // Each view's routes in full (inherited ones again: the same names, no conflict).
        std::map<upstream::ServerAddr, std::string> names = dot_names;
        check_routes(
            v.forward_zones, v.stub_zones, [&](const char*) { return line; }, where, names);
        dot_names.insert(names.begin(), names.end());
    }
}

}  // namespace port53::conf
