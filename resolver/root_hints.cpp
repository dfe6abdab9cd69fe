#include "resolver/root_hints.hpp"

#include <ldns/ldns.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "resolver/wire/types.hpp"

namespace port53::resolver {
namespace {

// The IANA root hints (named.root), as of the 2023 change of b.root-servers.net.
constexpr const char* kBuiltinHints = R"(
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
.                        3600000      NS    B.ROOT-SERVERS.NET.
B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2
B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b
.                        3600000      NS    C.ROOT-SERVERS.NET.
C.ROOT-SERVERS.NET.      3600000      A     192.33.4.12
C.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2::c
.                        3600000      NS    D.ROOT-SERVERS.NET.
D.ROOT-SERVERS.NET.      3600000      A     199.7.91.13
D.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2d::d
.                        3600000      NS    E.ROOT-SERVERS.NET.
E.ROOT-SERVERS.NET.      3600000      A     192.203.230.10
E.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:a8::e
.                        3600000      NS    F.ROOT-SERVERS.NET.
F.ROOT-SERVERS.NET.      3600000      A     192.5.5.241
F.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2f::f
.                        3600000      NS    G.ROOT-SERVERS.NET.
G.ROOT-SERVERS.NET.      3600000      A     192.112.36.4
G.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:12::d0d
.                        3600000      NS    H.ROOT-SERVERS.NET.
H.ROOT-SERVERS.NET.      3600000      A     198.97.190.53
H.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:1::53
.                        3600000      NS    I.ROOT-SERVERS.NET.
I.ROOT-SERVERS.NET.      3600000      A     192.36.148.17
I.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fe::53
.                        3600000      NS    J.ROOT-SERVERS.NET.
J.ROOT-SERVERS.NET.      3600000      A     192.58.128.30
J.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:c27::2:30
.                        3600000      NS    K.ROOT-SERVERS.NET.
K.ROOT-SERVERS.NET.      3600000      A     193.0.14.129
K.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fd::1
.                        3600000      NS    L.ROOT-SERVERS.NET.
L.ROOT-SERVERS.NET.      3600000      A     199.7.83.42
L.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:9f::42
.                        3600000      NS    M.ROOT-SERVERS.NET.
M.ROOT-SERVERS.NET.      3600000      A     202.12.27.33
M.ROOT-SERVERS.NET.      3600000      AAAA  2001:dc3::35
)";

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};

wire::Record from_ldns(const ldns_rr* rr) {
    wire::Record rec;
    ldns_rdf* owner = ldns_rr_owner(rr);
    rec.owner = wire::Name::from_wire(
        std::string_view(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner)));
    rec.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
    rec.cls = static_cast<uint16_t>(ldns_rr_get_class(rr));
    rec.ttl = ldns_rr_ttl(rr);
    // Render the rdata through ldns's wire writer; names come out uncompressed.
    ldns_buffer* buf = ldns_buffer_new(512);
    for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) ldns_rdf2buffer_wire(buf, ldns_rr_rdf(rr, i));
    rec.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buf)), ldns_buffer_position(buf));
    ldns_buffer_free(buf);
    return rec;
}

std::vector<wire::Record> read_records(FILE* f, const std::string& where) {
    std::vector<wire::Record> out;
    uint32_t default_ttl = 3600;
    ldns_rdf* origin = ldns_dname_new_frm_str(".");
    ldns_rdf* prev = nullptr;
    int line = 1;
    for (;;) {
        ldns_rr* rr = nullptr;
        ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &default_ttl, &origin, &prev, &line);
        if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
            st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE) {
            if (std::feof(f)) break;
            continue;
        }
        if (st != LDNS_STATUS_OK) {
            ldns_rdf_deep_free(origin);
            if (prev) ldns_rdf_deep_free(prev);
            if (std::feof(f) && st == LDNS_STATUS_SYNTAX_ERR && out.size() > 0) break;
            throw std::runtime_error(where + ":" + std::to_string(line) + ": " +
                                     ldns_get_errorstr_by_id(st));
        }
        out.push_back(from_ldns(rr));
        ldns_rr_free(rr);
        if (std::feof(f)) break;
    }
    ldns_rdf_deep_free(origin);
    if (prev) ldns_rdf_deep_free(prev);
    return out;
}

RootHints split_hints(std::vector<wire::Record> records, const std::string& where) {
    RootHints h;
    for (auto& r : records) {
        if (r.type == wire::type::NS && r.owner.is_root()) h.ns.push_back(std::move(r));
        else if (r.type == wire::type::A || r.type == wire::type::AAAA) h.addrs.push_back(std::move(r));
    }
    if (h.ns.empty() || h.addrs.empty())
        throw std::runtime_error(where + ":1: root hints need '. NS' records and their addresses");
    return h;
}

}  // namespace

std::vector<wire::Record> load_zone_records(const std::string& path) {
    std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "r"));
    if (!f) throw std::runtime_error(path + ":0: cannot open file");
    return read_records(f.get(), path);
}

std::vector<wire::Record> parse_zone_text(const std::string& text, const std::string& where) {
    std::unique_ptr<FILE, FileCloser> f(fmemopen(const_cast<char*>(text.data()), text.size(), "r"));
    if (!f) throw std::runtime_error(where + ": cannot read built-in data");
    return read_records(f.get(), where);
}

RootHints builtin_root_hints() {
    static const RootHints hints = split_hints(parse_zone_text(kBuiltinHints, "<built-in hints>"),
                                               "<built-in hints>");
    return hints;
}

RootHints load_root_hints(const std::string& path) {
    return split_hints(load_zone_records(path), path);
}

}  // namespace port53::resolver
