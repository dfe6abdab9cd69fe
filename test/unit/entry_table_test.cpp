#include "cache/entry_table.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>

using port53::cache::CacheEntry;
using port53::cache::EntryTable;

namespace {
std::vector<uint8_t> value_of(const std::string& s) {
    return {s.begin(), s.end()};
}
std::string text(const CacheEntry* e) {
    return {e->value().begin(), e->value().end()};
}
// Hashes chosen by the test: few distinct home slots, so probe runs are long, wrap around
// the table's end and cross each other, which is where backward-shift deletion can go wrong.
std::size_t crowded_hash(int key) {
    if (key % 2 == 0) return 0xFFFFFFFFu - static_cast<std::size_t>(key % 5);  // the last slots
    return static_cast<std::size_t>(key % 5) * 7 + 13;
}
}  // namespace

TEST_CASE("entry table: keys, values and the CLOCK order", "[lru]") {
    EntryTable t;
    CHECK(t.find("a", 1) == nullptr);
    t.insert("a", 1, value_of("one"), 10);
    t.insert("b", 2, value_of("two"), 20);
    CacheEntry* a = t.find("a", 1);
    REQUIRE(a != nullptr);
    CHECK(a->key() == "a");
    CHECK(text(a) == "one");
    CHECK(a->expires_at == 10);
    CHECK(t.find("a", 2) == nullptr);  // another hash: another key
    CHECK(t.newest()->key() == "b");
    CHECK(t.oldest()->key() == "a");
    t.move_to_front(a);
    CHECK(t.newest() == a);
    CHECK(t.oldest()->key() == "b");
    CHECK(t.size() == 2);
}

TEST_CASE("entry table: a replaced value keeps its key, in place or moved", "[lru]") {
    EntryTable t;
    t.insert("k", 7, value_of("abc"), 1);
    t.insert("z", 8, value_of("z"), 1);
    CacheEntry* e = t.find("k", 7);
    e->claimed.store(true);
    e->referenced.store(true);
    CacheEntry* same = t.replace(e, value_of("xyz"), 2);
    CHECK(same == e);  // same size: in place
    CHECK(text(same) == "xyz");
    CHECK_FALSE(same->claimed.load());
    CacheEntry* bigger = t.replace(same, value_of("a longer value"), 3);
    CHECK(t.find("k", 7) == bigger);
    CHECK(text(bigger) == "a longer value");
    CHECK(bigger->expires_at == 3);
    CHECK(bigger->referenced.load());  // the second chance is about the key, not the value
    CHECK(t.newest() == bigger);
    CHECK(t.oldest()->key() == "z");
    CHECK(t.size() == 2);
}

TEST_CASE("entry table: inserts and erases agree with a map, on crowded probe runs", "[lru]") {
    EntryTable t;
    std::map<int, std::string> model;
    std::mt19937 rng(5);
    for (int round = 0; round < 20000; ++round) {
        int key = static_cast<int>(rng() % 300);
        std::string k = "key" + std::to_string(key);
        CacheEntry* e = t.find(k, crowded_hash(key));
        REQUIRE((e != nullptr) == model.contains(key));
        if (rng() % 3 == 0 && e != nullptr) {
            t.erase(e);
            model.erase(key);
        } else if (e == nullptr) {
            std::string v(rng() % 40, static_cast<char>('a' + key % 26));
            t.insert(k, crowded_hash(key), value_of(v), 0);
            model[key] = v;
        } else {
            std::string v(rng() % 40, 'R');
            t.replace(e, value_of(v), 0);
            model[key] = v;
        }
    }
    REQUIRE(t.size() == model.size());
    for (const auto& [key, v] : model) {
        CacheEntry* e = t.find("key" + std::to_string(key), crowded_hash(key));
        REQUIRE(e != nullptr);
        CHECK(text(e) == v);
    }
    std::size_t listed = 0;
    for (const CacheEntry* e = t.newest(); e != nullptr; e = e->older) ++listed;
    CHECK(listed == model.size());
    t.clear();
    CHECK(t.size() == 0);
    CHECK(t.find("key1", crowded_hash(1)) == nullptr);
    CHECK(t.newest() == nullptr);
}
