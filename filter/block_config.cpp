#include "filter/block_config.hpp"

#include <stdexcept>

#include "filter/policies.hpp"

namespace port53::filter {

std::unique_ptr<BlockSource> make_block_source(const BlockSettings& s) {
    if (s.empty()) return nullptr;
    auto answer = BlockAnswer::parse(s.answer);
    if (!answer) throw std::runtime_error("blocklist.answer: not understood: " + s.answer);
    return std::make_unique<BlockSource>(load_policies(s), std::move(*answer), s.ttl);
}

}  // namespace port53::filter
