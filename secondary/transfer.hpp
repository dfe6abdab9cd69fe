// The transfer client: one TCP connection to a primary per exchange, each query signed with
// the zone's TSIG key and every message of the response checked with it (RFC 8945 §5.3).
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/coro.hpp"
#include "secondary/tsig.hpp"
#include "secondary/zone_copy.hpp"
#include "upstream/address.hpp"
#include "wire/message.hpp"

namespace port53::secondary {

struct TransferRequest {
    wire::Name apex;
    upstream::ServerAddr primary;
    const TsigKey* key = nullptr;               // none: unsigned
    std::optional<wire::Record> have;           // the SOA of our copy: IXFR from it
    std::chrono::milliseconds timeout{10'000};  // for the whole exchange
};

struct TransferResult {
    enum class Kind { failed, up_to_date, full, incremental } kind = Kind::failed;
    std::string why;            // failed: what went wrong, for the log
    bool tsig_failure = false;  // failed because a message was unsigned or wrongly signed
    uint32_t serial = 0;        // the primary's
    wire::Record soa;           // its SOA (SOA queries)
    std::vector<wire::Record> zone;
    std::vector<ZoneDiff> diffs;
};

// The primary's SOA (kind up_to_date, `soa` and `serial` set) or a failure.
base::awaitable<TransferResult> query_soa(TransferRequest req);
// AXFR, or IXFR when `req.have` is set (the answer may still be a full zone, RFC 1995 §4).
base::awaitable<TransferResult> transfer(TransferRequest req);

}  // namespace port53::secondary
