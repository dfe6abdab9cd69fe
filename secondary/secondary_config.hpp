// Secondary zones as the operator configures them ([[secondary]] and [[tsig_key]] tables) and
// the checks that turn them into keys the transfer code can use.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/routes.hpp"
#include "secondary/tsig.hpp"
#include "wire/name.hpp"

namespace port53::secondary {

struct SecondarySettings {
    wire::Name zone;
    std::vector<engine::RouteServer> primaries;  // port 53 unless given
    std::string tsig_key;                        // the name of a [[tsig_key]]; empty: unsigned
    std::string file;                            // where the copy is kept (zone-file form)
    // Bounds on the SOA's refresh and retry intervals, seconds: a zone that asks for a
    // refresh every second is not polled that often, one that asks for a week is still
    // polled daily (as NSD's min/max-refresh-time).
    uint32_t min_refresh = 60;
    uint32_t max_refresh = 86'400;
    uint32_t transfer_timeout = 30;  // seconds for one SOA query or transfer
};

struct TsigKeySettings {
    std::string name;
    std::string algorithm = "hmac-sha256";
    std::string secret;       // base64
    std::string secret_file;  // a file holding the base64 secret instead
};

// A setting that cannot be used: `key` names it ("secondary.tsig_key", ...).
struct SecondarySettingError : std::runtime_error {
    SecondarySettingError(std::string key, const std::string& what)
        : std::runtime_error(what), key(std::move(key)) {}
    std::string key;
};

// The keys, their secrets read and decoded; throws SecondarySettingError.
std::vector<TsigKey> build_tsig_keys(const std::vector<TsigKeySettings>& keys);
// Each zone once, with primaries and a file, and only keys that exist; throws
// SecondarySettingError.
void check_secondaries(const std::vector<SecondarySettings>& zones,
                       const std::vector<TsigKeySettings>& keys);

}  // namespace port53::secondary
