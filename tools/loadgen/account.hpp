// One response into the counts: matched to its query by ID and question (RFC 5452 §9.1's
// checks, as a resolver makes them), its latency recorded, its ID freed.
#pragma once
#include <cstdint>
#include <span>

#include "tools/loadgen/id_table.hpp"
#include "tools/loadgen/query_file.hpp"
#include "tools/loadgen/stats.hpp"

namespace port53::loadgen {

// True if the response answered a query in flight in `ids`.
bool account_response(std::span<const uint8_t> resp, IdTable& ids, const QuerySet& queries,
                      Stats& stats, uint64_t now);

}  // namespace port53::loadgen
