// Unpredictable numbers for query IDs (RFC 5452): kernel randomness, fetched in blocks.
#pragma once
#include <cstdint>

namespace port53::base {
uint16_t random_u16();
}
