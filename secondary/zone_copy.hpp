// A secondary's copy of a zone and how transfers change it: the SOA's serial and timers
// (RFC 1035 §3.3.13, compared with RFC 1982 serial arithmetic), the records of an AXFR
// (RFC 5936) or IXFR (RFC 1995) response read in order, and an IXFR's differences applied.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::secondary {

struct SoaFields {
    uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
std::optional<SoaFields> soa_fields(const wire::Record& soa);

// RFC 1982 §3.2: s1 is greater than s2 (false when they are equal or incomparable, i.e.
// exactly 2^31 apart).
constexpr bool serial_greater(uint32_t s1, uint32_t s2) {
    return (s1 < s2 && s2 - s1 > 0x80000000u) || (s1 > s2 && s1 - s2 < 0x80000000u);
}

// One step of an incremental transfer: the records deleted going from `from` to `to`, then
// those added (each SOA included, as RFC 1995 §4 sends them).
struct ZoneDiff {
    uint32_t from = 0, to = 0;
    std::vector<wire::Record> deleted, added;
};

// The answer records of a transfer response, fed in order across its messages.
class TransferStream {
  public:
    enum class Form { unknown, single_soa, full, incremental };
    // `ixfr`: the answer to an IXFR query, which may be either form; an AXFR's is full.
    TransferStream(wire::Name apex, bool ixfr) : apex_(std::move(apex)), ixfr_(ixfr) {}
    // False if the record cannot be where it is (the transfer is broken).
    bool add(const wire::Record& r);
    // After the records of one whole message: true once the transfer is complete.
    bool complete_after_message();
    Form form() const { return form_; }
    uint32_t serial() const { return serial_; }
    // full: the zone (its SOA first, once); incremental: the steps in order.
    std::vector<wire::Record> take_zone() { return std::move(zone_); }
    std::vector<ZoneDiff> take_diffs() { return std::move(diffs_); }

  private:
    bool add_incremental(const wire::Record& r);
    wire::Name apex_;
    bool ixfr_;
    Form form_ = Form::unknown;
    std::size_t count_ = 0;
    uint32_t serial_ = 0;
    bool done_ = false;
    bool adding_ = false;  // incremental: in the added half of a step
    std::vector<wire::Record> zone_;
    std::vector<ZoneDiff> diffs_;
};

// The zone after `diffs`; nothing if they do not fit it (a record to delete that is not
// there, a first step not from its serial): then a full transfer is needed.
std::optional<std::vector<wire::Record>> apply_diffs(const std::vector<wire::Record>& zone,
                                                     const std::vector<ZoneDiff>& diffs);

// The SOA of a zone's records (its apex); nothing if there is none.
const wire::Record* zone_soa(const std::vector<wire::Record>& zone);

}  // namespace port53::secondary
