// What the web console changed (issue 14): names blocked and allowed, local records and
// lists turned off, kept in console.state_file (TOML, written by port53d) and merged into the
// configuration each time it is read, so a change survives restarts and reloads alike.
#pragma once
#include <string>
#include <vector>

namespace port53::conf {

struct Config;

struct ConsoleState {
    std::vector<std::string> block;       // as blocklist.block
    std::vector<std::string> allow;       // as blocklist.allow
    std::vector<std::string> local_data;  // as local.data
    std::vector<std::string> lists_off;   // blocklist files, URLs or RPZ files turned off
    bool operator==(const ConsoleState&) const = default;
};

// A missing file is an empty state; a bad one throws ConfigError ("file:line: what").
ConsoleState read_console_state(const std::string& path);
// Written whole to a new file and renamed over the old one, so a crash leaves either.
// Throws std::runtime_error naming the file.
void write_console_state(const std::string& path, const ConsoleState& s);
// The state merged into `cfg` (its top level: inheriting views follow). Lists turned off
// that the configuration no longer names are ignored.
void apply_console_state(Config& cfg, const ConsoleState& s);

}  // namespace port53::conf
