// Records from zone-format text (root hints, trust anchors), parsed with ldns.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::wire {

// Throws std::runtime_error("file:line: what") on a syntax error or an unreadable file.
std::vector<Record> load_zone_records(const std::string& path);
std::vector<Record> parse_zone_text(const std::string& text, const std::string& source_name);

// The same, one record at a time with the line it starts on, for files too big to hold as
// records (an RPZ zone of a million triggers). The sink may throw; the error passes through.
using RecordSink = std::function<void(Record&&, int line)>;
void for_each_zone_record(const std::string& path, const RecordSink& sink);
void for_each_zone_text_record(const std::string& text, const std::string& source_name,
                               const RecordSink& sink);

// One record in zone-file form ("www.example. 300 IN A 192.0.2.1\n"), as ldns writes it;
// empty if ldns cannot read its rdata.
std::string record_to_text(const Record& r);

}  // namespace port53::wire
