// The settings table (conf/settings.cpp): each setting of port53d's configuration, the place
// in Config it is read into (whose member initialiser is its default), its bounds and its
// meaning. Parsing, defaults and the reference all come from it. Internal to conf/.
#pragma once
#include <toml++/toml.h>

#include <cstdint>
#include <span>
#include <string>

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

}  // namespace port53::conf
