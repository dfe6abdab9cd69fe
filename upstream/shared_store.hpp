// A store of cache entries shared by several resolvers (a fleet's second-level cache, as
// Unbound's cachedb keeps in Redis). The engine asks it after its own cache and before
// iterating, and files what it resolved there (engine/second_level.cpp); production uses
// RedisClient (upstream/redis_client.hpp).
#pragma once
#include <cstdint>
#include <string>

#include "base/coro.hpp"

namespace port53::upstream {

struct StoreReply {
    // miss: the store has no such key; timeout: no answer in the time allowed; error: no
    // connection, a broken one, too many lookups waiting, or a reply that is not a value.
    enum class Status { hit, miss, timeout, error } status = Status::error;
    std::string value;  // hit: the bytes stored, untrusted
};

class SharedStore {
  public:
    virtual ~SharedStore() = default;
    // Never longer than the store's timeout; never throws.
    virtual base::awaitable<StoreReply> get(std::string key) = 0;
    // Fire and forget, kept `ttl` seconds; false when dropped (not connected, or too many
    // writes waiting already).
    virtual bool put(const std::string& key, const std::string& value, uint32_t ttl) = 0;
    // The namespace of this resolver's keys (a fleet shares one; a test fleet its own).
    virtual const std::string& prefix() const = 0;
};

}  // namespace port53::upstream
