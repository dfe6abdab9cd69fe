// Signatures already verified, so identical signed data seen again (a wildcard answered for
// many names, the same NSEC in many denials, a refreshed RRset) skips the public-key work.
// Entries are keyed by a SHA-256 over everything the signature covers plus the signature
// and the key: a match means the very same check would succeed again.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace port53::dnssec {

class SignatureCache {
  public:
    explicit SignatureCache(std::size_t max_entries = 100'000) : max_(max_entries) {}
    bool contains(const std::string& digest, uint32_t unix_now);
    void add(std::string digest, uint32_t valid_until);

  private:
    std::mutex mutex_;
    std::unordered_map<std::string, uint32_t> verified_;  // digest → signature expiration
    std::size_t max_;
};

}  // namespace port53::dnssec
