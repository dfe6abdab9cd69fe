#include "wire/zone_file.hpp"

#include <ldns/ldns.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace port53::wire {
namespace {

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};

Record from_ldns(const ldns_rr* rr) {
    Record rec;
    ldns_rdf* owner = ldns_rr_owner(rr);
    rec.owner =
        Name::from_wire(std::string_view(reinterpret_cast<const char*>(ldns_rdf_data(owner)),
                                         ldns_rdf_size(owner)))
            .value();  // ldns made it from a valid owner name
    rec.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
    rec.cls = static_cast<uint16_t>(ldns_rr_get_class(rr));
    rec.ttl = ldns_rr_ttl(rr);
    // Render the rdata through ldns's wire writer; names come out uncompressed.
    ldns_buffer* buf = ldns_buffer_new(512);
    for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) ldns_rdf2buffer_wire(buf, ldns_rr_rdf(rr, i));
    rec.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buf)),
                     ldns_buffer_position(buf));
    ldns_buffer_free(buf);
    return rec;
}

// The origin and previous owner ldns carries from one record to the next, freed however the
// reading ends (a syntax error, or a sink that throws).
struct ReaderState {
    ldns_rdf* origin = ldns_dname_new_frm_str(".");
    ldns_rdf* prev = nullptr;
    ReaderState() = default;
    ReaderState(const ReaderState&) = delete;
    ReaderState& operator=(const ReaderState&) = delete;
    ~ReaderState() {
        if (origin) ldns_rdf_deep_free(origin);
        if (prev) ldns_rdf_deep_free(prev);
    }
};

void read_records(FILE* f, const std::string& where, const RecordSink& sink) {
    std::size_t count = 0;
    uint32_t default_ttl = 3600;
    ReaderState state;
    int line = 1;
    for (;;) {
        ldns_rr* rr = nullptr;
        // ldns counts the newlines it has read, so after a record `line` is past it.
        int started = line;
        ldns_status st =
            ldns_rr_new_frm_fp_l(&rr, f, &default_ttl, &state.origin, &state.prev, &line);
        if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
            st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE) {
            if (std::feof(f)) break;
            continue;
        }
        if (st != LDNS_STATUS_OK) {
            if (std::feof(f) && st == LDNS_STATUS_SYNTAX_ERR && count > 0) break;
            throw std::runtime_error(where + ":" + std::to_string(started) + ": " +
                                     ldns_get_errorstr_by_id(st));
        }
        Record rec = from_ldns(rr);
        ldns_rr_free(rr);
        ++count;
        sink(std::move(rec), started);
        if (std::feof(f)) break;
    }
}

}  // namespace

void for_each_zone_record(const std::string& path, const RecordSink& sink) {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "r"));
    if (!f) throw std::runtime_error(path + ":0: cannot open file");
    read_records(f.get(), path, sink);
}

void for_each_zone_text_record(const std::string& text, const std::string& where,
                               const RecordSink& sink) {
    std::unique_ptr<FILE, FileCloser> f(fmemopen(const_cast<char*>(text.data()), text.size(), "r"));
    if (!f) throw std::runtime_error(where + ": cannot read built-in data");
    read_records(f.get(), where, sink);
}

std::vector<Record> load_zone_records(const std::string& path) {
    std::vector<Record> out;
    for_each_zone_record(path, [&](Record&& r, int) { out.push_back(std::move(r)); });
    return out;
}

std::vector<Record> parse_zone_text(const std::string& text, const std::string& where) {
    std::vector<Record> out;
    for_each_zone_text_record(text, where, [&](Record&& r, int) { out.push_back(std::move(r)); });
    return out;
}

std::string record_to_text(const Record& r) {
    std::string wire(r.owner.wire());
    for (uint32_t v : {uint32_t{r.type} << 16 | r.cls, r.ttl})
        for (int shift = 24; shift >= 0; shift -= 8) wire.push_back(static_cast<char>(v >> shift));
    wire.push_back(static_cast<char>(r.rdata.size() >> 8));
    wire.push_back(static_cast<char>(r.rdata.size()));
    wire += r.rdata;
    ldns_rr* rr = nullptr;
    size_t pos = 0;
    if (ldns_wire2rr(&rr, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), &pos,
                     LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
        return {};
    char* text = ldns_rr2str(rr);
    ldns_rr_free(rr);
    std::string out = text ? text : "";
    free(text);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
    return out;
}

}  // namespace port53::wire
