#include "cache/lru.hpp"

#include <catch2/catch.hpp>

using port53::cache::ShardedLru;

namespace {
std::vector<uint8_t> bytes(std::size_t n) {
    return std::vector<uint8_t>(n, 0xAB);
}
bool has(ShardedLru& c, const char* key) {
    return c.visit(key, [](std::span<const uint8_t>, uint32_t) { return true; });
}
}  // namespace

TEST_CASE("LRU stays within its byte bound, evicting least recently used", "[lru]") {
    std::size_t entry = 100 + 1 + ShardedLru::kEntryOverhead;
    ShardedLru c(entry * 3, 1);
    c.insert("a", bytes(100), 10);
    c.insert("b", bytes(100), 10);
    c.insert("c", bytes(100), 10);
    CHECK(has(c, "a"));  // touch a: b is now the oldest
    c.insert("d", bytes(100), 10);
    CHECK(c.bytes() <= c.max_bytes());
    CHECK(has(c, "a"));
    CHECK_FALSE(has(c, "b"));
    CHECK(has(c, "c"));
    CHECK(has(c, "d"));
}

TEST_CASE("LRU replace policy and erase", "[lru]") {
    ShardedLru c(1 << 20, 4);
    c.insert("k", bytes(1), 10);
    c.insert("k", bytes(2), 20, [](std::span<const uint8_t>, uint32_t) { return false; });
    c.visit("k", [](std::span<const uint8_t> v, uint32_t exp) {
        CHECK(v.size() == 1);
        CHECK(exp == 10);
        return true;
    });
    c.insert("k", bytes(3), 30);
    c.visit("k", [](std::span<const uint8_t> v, uint32_t) { return v.size() == 3; });
    CHECK(c.entries() == 1);
    c.erase("k");
    CHECK(c.entries() == 0);
    CHECK(c.bytes() == 0);
}

TEST_CASE("an over-full cache of many entries stays bounded", "[lru]") {
    ShardedLru c(64 * 1024, 8);
    for (int i = 0; i < 10000; ++i) c.insert(std::to_string(i), bytes(50), 10);
    CHECK(c.bytes() <= c.max_bytes());
    CHECK(c.entries() > 100);
}

TEST_CASE("an entry's claimed flag is won once and cleared when the value is replaced", "[lru]") {
    ShardedLru c(1 << 20, 4);
    c.insert("k", bytes(4), 10);
    auto claim = [&] {
        bool won = false;
        c.visit("k", [&](std::span<const uint8_t>, uint32_t, std::atomic<bool>& claimed) {
            won = !claimed.exchange(true);
            return true;
        });
        return won;
    };
    CHECK(claim());
    CHECK_FALSE(claim());
    c.insert("k", bytes(5), 20);
    CHECK(claim());
}

TEST_CASE("a smaller capacity evicts at once; a larger one lets the cache grow", "[lru][reload]") {
    ShardedLru c(1 << 20, 4);
    for (int i = 0; i < 2000; ++i) c.insert(std::to_string(i), bytes(100), 10);
    std::size_t full = c.entries();
    REQUIRE(full > 1000);
    c.set_capacity(16 * 1024);
    CHECK(c.max_bytes() == 16 * 1024);
    CHECK(c.bytes() <= 16 * 1024);
    CHECK(c.entries() < full / 10);
    CHECK(c.entries() > 0);
    c.set_capacity(1 << 20);
    for (int i = 0; i < 2000; ++i) c.insert("n" + std::to_string(i), bytes(100), 10);
    CHECK(c.bytes() > 16 * 1024);
    CHECK(c.bytes() <= c.max_bytes());
}
