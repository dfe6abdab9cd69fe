// libFuzzer target: any bytes as an RFC 5011 state file (dnssec/anchor_state.hpp) give a
// state or a "line N: ..." error, never a crash; a state read back formats and reads again
// to the same keys.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dnssec/anchor_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string error;
    auto state = port53::dnssec::parse_anchor_state(
        std::string_view(reinterpret_cast<const char*>(data), size), error);
    if (!state) {
        if (error.rfind("line ", 0) != 0) __builtin_trap();
        return 0;
    }
    std::string again = port53::dnssec::format_anchor_state(state->zone, state->keys);
    auto reread = port53::dnssec::parse_anchor_state(again, error);
    if (!reread || reread->keys.size() != state->keys.size()) __builtin_trap();
    for (std::size_t i = 0; i < state->keys.size(); ++i)
        if (reread->keys[i].rdata != state->keys[i].rdata ||
            reread->keys[i].state != state->keys[i].state ||
            reread->keys[i].since != state->keys[i].since)
            __builtin_trap();
    return 0;
}
