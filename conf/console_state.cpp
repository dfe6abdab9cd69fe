#include "conf/console_state.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "conf/config.hpp"

namespace port53::conf {

namespace {

constexpr const char* kKeys[] = {"block", "allow", "local_data", "lists_off"};

std::vector<std::string>* field(ConsoleState& s, std::string_view key) {
    if (key == "block") return &s.block;
    if (key == "allow") return &s.allow;
    if (key == "local_data") return &s.local_data;
    if (key == "lists_off") return &s.lists_off;
    return nullptr;
}

std::string toml_array(const std::vector<std::string>& items) {
    toml::array a;
    for (const auto& i : items) a.push_back(i);
    std::ostringstream out;
    out << a;
    return out.str();
}

void remove_named(std::vector<std::string>& lists, const std::vector<std::string>& off) {
    std::erase_if(lists, [&](const std::string& l) {
        return std::find(off.begin(), off.end(), l) != off.end();
    });
}

}  // namespace

ConsoleState read_console_state(const std::string& path) {
    ConsoleState s;
    std::ifstream in(path);
    if (!in) return s;
    toml::table root;
    try {
        root = toml::parse(in, path);
    } catch (const toml::parse_error& e) {
        throw ConfigError(path + ":" + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description()));
    }
    for (const auto& [key, node] : root) {
        auto* out = field(s, key.str());
        const toml::array* a = node.as_array();
        if (!out || !a)
            throw ConfigError(path + ":" + std::to_string(node.source().begin.line) +
                              ": unknown key '" + std::string(key.str()) + "'");
        for (const auto& item : *a) {
            auto text = item.value<std::string>();
            if (!text)
                throw ConfigError(path + ":" + std::to_string(item.source().begin.line) + ": " +
                                  std::string(key.str()) + " holds strings only");
            out->push_back(*text);
        }
    }
    return s;
}

void write_console_state(const std::string& path, const ConsoleState& s) {
    std::string tmp = path + ".new";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "# Written by port53d's web console (console.state_file): what it changed.\n"
               "# Edit only while port53d is stopped, or the console's next change replaces it.\n";
        ConsoleState copy = s;
        for (const char* key : kKeys) out << key << " = " << toml_array(*field(copy, key)) << "\n";
        out.flush();
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot replace " + path);
}

void apply_console_state(Config& cfg, const ConsoleState& s) {
    auto& b = cfg.blocklist;
    b.block.insert(b.block.end(), s.block.begin(), s.block.end());
    b.allow.insert(b.allow.end(), s.allow.begin(), s.allow.end());
    cfg.local.data.insert(cfg.local.data.end(), s.local_data.begin(), s.local_data.end());
    remove_named(b.files, s.lists_off);
    remove_named(b.urls, s.lists_off);
    remove_named(b.rpz_files, s.lists_off);
}

}  // namespace port53::conf
