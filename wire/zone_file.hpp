// Records from zone-format text (root hints, trust anchors), parsed with ldns.
#pragma once
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::wire {

// Throws std::runtime_error("file:line: what") on a syntax error or an unreadable file.
std::vector<Record> load_zone_records(const std::string& path);
std::vector<Record> parse_zone_text(const std::string& text, const std::string& source_name);

}  // namespace port53::wire
