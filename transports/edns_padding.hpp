// EDNS(0) Padding (RFC 7830) of answers on encrypted transports, with the block-length
// policy of RFC 8467 §4.1: answers padded to a multiple of 468 bytes, and only when the
// query itself carried a Padding option (so unpadded clients see unchanged answers).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace port53::transports {

constexpr std::size_t kResponsePaddingBlock = 468;

// True if `query` is a readable message whose OPT record holds a Padding option (code 12).
bool has_padding_option(std::span<const uint8_t> query);

// Appends a Padding option to the OPT record of `reply`, which must be the last record
// (as our builder renders it), so the length becomes a multiple of `block`. Leaves the reply
// alone if it has no OPT record last, already carries padding, or would exceed 65535 bytes.
// Returns true if it padded.
bool pad_reply(std::vector<uint8_t>& reply, std::size_t block = kResponsePaddingBlock);

}  // namespace port53::transports
