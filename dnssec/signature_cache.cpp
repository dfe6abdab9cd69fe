#include "dnssec/signature_cache.hpp"

namespace port53::dnssec {

bool SignatureCache::contains(const std::string& digest, uint32_t unix_now) {
    std::lock_guard lock(mutex_);
    auto it = verified_.find(digest);
    return it != verified_.end() && static_cast<int32_t>(it->second - unix_now) > 0;
}

void SignatureCache::add(std::string digest, uint32_t valid_until) {
    std::lock_guard lock(mutex_);
    if (verified_.size() >= max_) verified_.clear();  // bounded; re-verifying is only slower
    verified_[std::move(digest)] = valid_until;
}

}  // namespace port53::dnssec
