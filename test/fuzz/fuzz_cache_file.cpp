// libFuzzer target: the cache file reader (cache/cache_file.hpp, cache/cache_persist.hpp).
// The file sits on disk between runs, where a crash, a full disk or another program may
// damage it, and what it holds ends up in answers: a record the checks let through must
// never make the cache read or write out of bounds. Input layout: the first byte picks
// whether the checksum is recomputed (so the fuzzer gets past it to the records) or kept.
// After loading, every cached answer and RRset is read back as a client would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cache/cache_file.hpp"
#include "cache/cache_persist.hpp"
#include "wire/query_view.hpp"

namespace {
using namespace port53;

constexpr uint32_t kNow = 2'000'000;
constexpr uint32_t kUnix = 1'800'000'000;

void require(bool ok) {
    if (!ok) std::abort();
}

// Asks the answer cache for `key` as a client would: a query built from the key's name.
void ask(cache::AnswerCache& answers, std::string_view key) {
    std::size_t qlen = 0;
    while (qlen < key.size() && key[qlen] != 0) qlen += 1 + static_cast<uint8_t>(key[qlen]);
    if (qlen >= key.size() || key.size() < qlen + 6) return;
    std::vector<uint8_t> q(12, 0);
    q[5] = 1;  // one question
    q.insert(q.end(), key.begin(), key.begin() + static_cast<std::ptrdiff_t>(qlen + 5));
    wire::QueryView v;
    if (wire::parse_query(q, v) != wire::QueryCheck::ok) return;
    std::vector<uint8_t> out(65535);
    answers.answer(cache::AnswerKey(v, cache::AnswerCache::view_of(key)), v, q, out, {65535, 1232},
                   kNow);
    answers.answer(cache::AnswerKey(v, cache::AnswerCache::view_of(key)), v, q,
                   std::span(out).first(512), {512, 1232}, kNow);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::vector<uint8_t> file(data + 1, data + size);
    if ((data[0] & 1) && file.size() >= 8) {
        uint64_t sum = cache::cache_file_checksum(std::span(file).first(file.size() - 8));
        for (int i = 0; i < 8; ++i)
            file[file.size() - 8 + i] = static_cast<uint8_t>(sum >> (8 * i));
    }
    cache::AnswerCache answers(1 << 20, 2);
    cache::RRsetCache rrsets(1 << 20, 2, {});
    cache::RRsetCache view(1 << 20, 2, {});
    cache::CacheSet set{answers, rrsets, {&view}};
    auto report = cache::restore_caches(file, set, kNow, kUnix);
    require(report.error.empty() || report.loaded == 0);
    std::vector<std::string> keys;
    answers.for_each(
        [&](std::string_view k, std::span<const uint8_t>, uint32_t) { keys.emplace_back(k); });
    for (const auto& k : keys) ask(answers, k);
    for (auto* c : {&rrsets, &view}) {
        std::vector<std::string> owners;  // read outside for_each, which holds a shard lock
        c->for_each([&](std::string_view k, std::span<const uint8_t>, uint32_t) {
            owners.emplace_back(k.substr(0, k.size() - 4));
        });
        for (const auto& o : owners)
            if (auto n = wire::Name::from_wire(o)) (void)c->held(*n, 1, kNow);
    }
    // What was loaded writes out again as a file that reads back whole.
    auto again = cache::serialize_caches(set, kNow, kUnix);
    std::string why;
    require(cache::check_cache_file(again, why).has_value());
    return 0;
}
