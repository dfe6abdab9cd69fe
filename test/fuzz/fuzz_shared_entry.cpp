// libFuzzer target: the second-level cache's values (cache/shared_entry.hpp). Whoever can
// write to Redis chooses these bytes, so reading them must never go out of bounds, and what
// reads back must be exactly what encoding it again gives (no second meaning for a value).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cache/shared_entry.hpp"

namespace {
void require(bool ok) {
    if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace port53;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto e = cache::decode_shared(bytes);
    if (!e) return 0;
    require(cache::encode_shared(*e) == bytes);
    cache::shared_ttl(*e);
    cache::age_shared(*e, e->written + 10);
    return 0;
}
