// The RFC 5011 state file: the tracked keys of one anchored zone as text, so the states and
// hold-down timers survive restarts. The file is read back as untrusted input (it may be
// truncated or edited): anything not exactly as written makes the reader refuse all of it.
//   ; comment
//   zone .
//   key STATE SINCE RDATA-HEX      (SINCE: Unix seconds; RDATA: DNSKEY, REVOKE bit clear)
//   end COUNT                      (the number of key lines: a truncated file fails)
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dnssec/anchor_tracker.hpp"
#include "wire/name.hpp"

namespace port53::dnssec {

struct AnchorState {
    wire::Name zone;
    std::vector<TrackedKey> keys;
};

std::string format_anchor_state(const wire::Name& zone, const std::vector<TrackedKey>& keys);
// The state, or nothing with `error` set to "line N: why".
std::optional<AnchorState> parse_anchor_state(std::string_view text, std::string& error);

}  // namespace port53::dnssec
