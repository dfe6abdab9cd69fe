// Local zones as the operator configures them: the settings of the [local] section and the
// one function that turns them into LocalZones (used by the daemon, and by the config check
// so a bad record is refused with its file and line).
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "local/local_zones.hpp"

namespace port53::local {

struct LocalSettings {
    std::vector<std::string> data;        // records in zone-file form
    bool data_ptr = false;                // answer the PTR of each A/AAAA record in `data`
    std::vector<std::string> zones;       // "NAME static|transparent|redirect"
    std::vector<std::string> zone_files;  // zone files served authoritatively
    std::vector<std::string> no_default;  // default (special-use) zones not served
    bool operator==(const LocalSettings&) const = default;
};

// A setting that cannot be used: `key` names it ("data", "zones", ...).
struct LocalSettingError : std::runtime_error {
    LocalSettingError(std::string key, const std::string& what)
        : std::runtime_error(what), key(std::move(key)) {}
    std::string key;
};

// Defaults first, then the operator's zones, zone files and records, so theirs win.
std::shared_ptr<const LocalZones> build_local_zones(const LocalSettings& s);

}  // namespace port53::local
