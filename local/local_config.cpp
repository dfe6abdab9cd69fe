#include "local/local_config.hpp"

#include "local/special_use.hpp"
#include "wire/types.hpp"
#include "wire/zone_file.hpp"

namespace port53::local {

namespace {

void add_zone_lines(LocalZones& zones, const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
        auto space = line.find(' ');
        auto name = wire::Name::from_text(line.substr(0, space));
        auto kind =
            space == std::string::npos ? std::nullopt : zone_kind_from_text(line.substr(space + 1));
        if (!name || !kind)
            throw LocalSettingError(
                "zones", "local.zones: \"" + line +
                             "\" is not \"NAME static|transparent|redirect|always_nodata\"");
        zones.add_zone(*name, *kind);
    }
}

void add_records(LocalZones& zones, const LocalSettings& s) {
    std::vector<wire::Record> records;
    for (std::size_t i = 0; i < s.data.size(); ++i) {
        try {
            auto parsed =
                wire::parse_zone_text(s.data[i] + "\n", "local.data[" + std::to_string(i) + "]");
            records.insert(records.end(), parsed.begin(), parsed.end());
        } catch (const std::runtime_error& e) {
            throw LocalSettingError("data", e.what());
        }
    }
    for (const auto& r : records) {
        zones.add_record(r);
        if (auto ptr = s.data_ptr ? reverse_ptr(r) : std::nullopt) zones.add_record(*ptr);
    }
}

}  // namespace

std::shared_ptr<const LocalZones> build_local_zones(const LocalSettings& s) {
    auto zones = std::make_shared<LocalZones>();
    try {
        add_special_use_zones(*zones, s.no_default);
    } catch (const std::invalid_argument& e) {
        throw LocalSettingError("no_default", std::string("local.no_default: ") + e.what());
    }
    add_zone_lines(*zones, s.zones);
    for (const auto& path : s.zone_files) {
        try {
            zones->add_zone_records(wire::load_zone_records(path), path);
        } catch (const std::runtime_error& e) {
            throw LocalSettingError("zone_files", e.what());
        }
    }
    add_records(*zones, s);
    return zones;
}

}  // namespace port53::local
