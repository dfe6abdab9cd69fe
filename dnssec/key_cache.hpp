// Validated zone keys, or the knowledge that a zone is insecure or bogus: what the chain
// of trust has established so far, so each zone is proven once per TTL.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dnssec/verdict.hpp"
#include "wire/message.hpp"

namespace port53::dnssec {

struct KeyEntry {
    Verdict verdict;                 // secure (with keys), insecure, or bogus
    std::vector<wire::Record> keys;  // the zone's DNSKEY RRset when secure
    uint64_t anchor_generation = 0;  // of the zone's live anchor (RFC 5011) it was proven from
};

class KeyCache {
  public:
    explicit KeyCache(std::size_t max_entries = 50'000) : max_(max_entries) {}
    std::optional<KeyEntry> get(const wire::Name& zone, uint32_t now);
    void put(const wire::Name& zone, KeyEntry e, uint32_t ttl, uint32_t now);

  private:
    struct Stored {
        KeyEntry entry;
        uint32_t expires;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Stored> map_;
    std::size_t max_;
};

}  // namespace port53::dnssec
