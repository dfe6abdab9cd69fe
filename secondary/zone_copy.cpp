#include "secondary/zone_copy.hpp"

#include "wire/types.hpp"

namespace port53::secondary {
using wire::Record;

std::optional<SoaFields> soa_fields(const Record& soa) {
    if (soa.type != wire::type::SOA) return std::nullopt;
    std::span<const uint8_t> rdata(reinterpret_cast<const uint8_t*>(soa.rdata.data()),
                                   soa.rdata.size());
    std::size_t pos = 0;
    if (!wire::read_name(rdata, pos) || !wire::read_name(rdata, pos) || pos + 20 != rdata.size())
        return std::nullopt;
    const uint8_t* p = &rdata[pos];
    return SoaFields{wire::load32(p), wire::load32(p + 4), wire::load32(p + 8),
                     wire::load32(p + 12), wire::load32(p + 16)};
}

const Record* zone_soa(const std::vector<Record>& zone) {
    for (const auto& r : zone)
        if (r.type == wire::type::SOA) return &r;
    return nullptr;
}

bool TransferStream::add(const Record& r) {
    if (done_) return false;  // records after the closing SOA
    bool soa = r.type == wire::type::SOA;
    ++count_;
    if (count_ == 1) {
        // RFC 5936 §2.2, RFC 1995 §4: the response opens with the zone's current SOA.
        auto f = soa_fields(r);
        if (!f || !(r.owner == apex_)) return false;
        serial_ = f->serial;
        form_ = Form::single_soa;
        zone_.push_back(r);
        return true;
    }
    if (count_ == 2) form_ = soa && ixfr_ ? Form::incremental : Form::full;
    if (form_ == Form::incremental) return add_incremental(r);
    if (soa) {  // the closing SOA of a full transfer repeats the first
        done_ = true;
        return soa_fields(r) && soa_fields(r)->serial == serial_;
    }
    if (!r.owner.is_subdomain_of(apex_)) return false;
    zone_.push_back(r);
    return true;
}

bool TransferStream::add_incremental(const Record& r) {
    if (r.type == wire::type::SOA) {
        auto f = soa_fields(r);
        if (!f) return false;
        if (!adding_ && !diffs_.empty()) {  // the SOA that ends the deletions: adding now
            diffs_.back().to = f->serial;
            adding_ = true;
            diffs_.back().added.push_back(r);
            return true;
        }
        if (adding_ && f->serial == serial_ && !diffs_.empty() && diffs_.back().to == serial_) {
            done_ = true;  // RFC 1995 §4: the last record is the new SOA again
            return true;
        }
        diffs_.push_back(ZoneDiff{f->serial, 0, {r}, {}});
        adding_ = false;
        return true;
    }
    if (diffs_.empty() || !r.owner.is_subdomain_of(apex_)) return false;
    (adding_ ? diffs_.back().added : diffs_.back().deleted).push_back(r);
    return true;
}

bool TransferStream::complete_after_message() {
    // A lone SOA: up to date, or the server offers no IXFR (RFC 1995 §4).
    if (count_ == 1) return true;
    return done_;
}

namespace {
// Records compared as RFC 1995 deletes them: owner (any case), type, class and rdata.
std::string record_key(const Record& r) {
    std::string k = r.owner.key();
    k.push_back(static_cast<char>(r.type >> 8));
    k.push_back(static_cast<char>(r.type));
    k.push_back(static_cast<char>(r.cls >> 8));
    k.push_back(static_cast<char>(r.cls));
    return k + r.rdata;
}
}  // namespace

std::optional<std::vector<Record>> apply_diffs(const std::vector<Record>& zone,
                                               const std::vector<ZoneDiff>& diffs) {
    const Record* soa = zone_soa(zone);
    if (!soa || diffs.empty() || soa_fields(*soa)->serial != diffs.front().from)
        return std::nullopt;
    // Kept in order of first appearance, so the file written reads like the primary's.
    std::map<std::string, std::size_t> at;
    std::vector<std::optional<Record>> records;
    for (const auto& r : zone) {
        if (at.emplace(record_key(r), records.size()).second) records.emplace_back(r);
    }
    for (const auto& d : diffs) {
        for (const auto& r : d.deleted) {
            auto it = at.find(record_key(r));
            if (it == at.end()) return std::nullopt;
            records[it->second].reset();
            at.erase(it);
        }
        for (const auto& r : d.added) {
            if (auto it = at.find(record_key(r)); it != at.end()) {
                records[it->second] = r;  // the same record again, perhaps with a new TTL
                continue;
            }
            at.emplace(record_key(r), records.size());
            records.emplace_back(r);
        }
    }
    std::vector<Record> out;
    for (auto& r : records)
        if (r) out.push_back(std::move(*r));
    // The SOA first, as a zone file wants it.
    std::stable_partition(out.begin(), out.end(),
                          [](const Record& r) { return r.type == wire::type::SOA; });
    return out;
}

}  // namespace port53::secondary
