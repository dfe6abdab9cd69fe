// The settings table (conf/settings.cpp): each setting of port53d's configuration, the place
// in Config it is read into (whose member initialiser is its default), its bounds and its
// meaning. Parsing, defaults and the reference all come from it. Internal to conf/.
#pragma once
#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "conf/config.hpp"

namespace port53::conf {

struct Setting {
    // `at` is a captureless lambda giving the setting's member of a Config (const or not).
    template <typename At>
    Setting(const char* section, const char* key, At at, int64_t min, int64_t max,
            const char* help);
    // A key of a table that may appear many times ([[forward]]): `list` gives the vector of
    // a Config that holds one element per table, `at` the element's member.
    template <typename ListAt, typename At>
    Setting(const char* section, const char* key, ListAt list, At at, int64_t min, int64_t max,
            const char* help);

    const char* section;
    const char* key;
    const char* type;  // as the reference names it: integer, boolean, number, string, ...
    // Reads `node` into its member of `cfg`; throws ConfigError ("where:line: ...").
    void (*read)(Config& cfg, const toml::node& node, const Setting& s, const std::string& where);
    // Its value in `cfg` as TOML: the default, given a default-constructed Config.
    std::string (*show)(const Config& cfg);
    // Keys of an array of tables only: appends the element the table's keys are read into.
    void (*add_element)(Config& cfg) = nullptr;
    int64_t min, max;  // integers and numbers only
    const char* help;

    std::string name() const { return std::string(section) + "." + key; }
};

std::span<const Setting> settings();

// Throws ConfigError "where:line: what".
[[noreturn]] void fail(const std::string& where, const toml::source_region& src,
                       const std::string& what);

// The parser's pieces (conf/config.cpp), shared with the [[view]] tables (conf/views.cpp).
const Setting* find_setting(std::string_view section, std::string_view key);
// `element`: the table is one of an array of tables ([[forward]]), its list's last element.
void read_table(Config& cfg, std::string_view section, const toml::table& tbl, bool element,
                const std::string& where);
// An array of tables ([[forward]], [[stub]], ...): one element of its list per table.
void read_elements(Config& cfg, std::string_view section, const toml::array& tables,
                   const std::string& where);
// One route per zone, each with servers; one authentication name per DoT server over all
// of them (`names`, shared by every call).
void check_routes(const std::vector<engine::ZoneRoute>& forward,
                  const std::vector<engine::ZoneRoute>& stub,
                  const std::function<toml::source_region(const char*)>& line_of,
                  const std::string& where, std::map<upstream::ServerAddr, std::string>& names);

// The [[view]] tables, read after every other table (a view may inherit them).
void read_views(Config& cfg, const toml::node& views, const std::string& where);
// The views' routes, once the top level's are checked: one name per DoT server over all.
void check_views(const Config& cfg, const toml::source_region& line, const std::string& where,
                 std::map<upstream::ServerAddr, std::string>& dot_names);

}  // namespace port53::conf
