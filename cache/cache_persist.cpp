#include "cache/cache_persist.hpp"

#include <algorithm>

#include "cache/cache_file.hpp"

namespace port53::cache {
namespace {

uint64_t to_unix(uint32_t expires, uint32_t now, uint32_t unix_now) {
    return uint64_t{unix_now} + (expires > now ? expires - now : 0);
}

void add_rrsets(CacheFileWriter& w, uint8_t section, const RRsetCache& c, uint32_t now,
                uint32_t unix_now) {
    c.for_each([&](std::string_view key, std::span<const uint8_t> value, uint32_t expires) {
        if (expires > now) w.add(section, key, value, to_unix(expires, now, unix_now));
    });
}

}  // namespace

std::vector<uint8_t> serialize_caches(const CacheSet& caches, uint32_t now, uint32_t unix_now) {
    CacheFileWriter w(unix_now, static_cast<uint32_t>(caches.views.size()));
    caches.answers.for_each(
        [&](std::string_view key, std::span<const uint8_t> value, uint32_t expires) {
            if (expires > now)
                w.add(answers_section, key, AnswerCache::portable(value, now, unix_now),
                      to_unix(expires, now, unix_now));
        });
    add_rrsets(w, rrsets_section, caches.rrsets, now, unix_now);
    for (std::size_t i = 0; i < caches.views.size(); ++i)
        add_rrsets(w, static_cast<uint8_t>(first_view_section + i), *caches.views[i], now,
                   unix_now);
    return w.finish();
}

LoadReport restore_caches(std::span<const uint8_t> file, const CacheSet& caches, uint32_t now,
                          uint32_t unix_now) {
    LoadReport report;
    auto header = check_cache_file(file, report.error);
    if (!header) return report;
    // Views are matched by position: a file from another list of views gives only what the
    // default view holds (a view's number would now name another view).
    bool same_views = header->view_caches == caches.views.size();
    // No entry outlives the longest TTL the caches allow, whatever the file says.
    const TtlLimits& limits = caches.rrsets.limits();
    uint64_t longest = std::max(limits.max_ttl, limits.max_negative_ttl);
    cache_file_records(file, *header, [&](const CacheFileRecord& r) {
        if (r.expires <= unix_now) {
            ++report.expired;
            return;
        }
        auto expires = static_cast<uint32_t>(now + std::min(r.expires - unix_now, longest));
        bool ok = false;
        if (r.section == answers_section) {
            ok = (same_views || AnswerCache::view_of(r.key) == 0) &&
                 caches.answers.restore(r.key, r.value, expires, now, unix_now);
        } else if (r.section == rrsets_section) {
            ok = caches.rrsets.restore(r.key, r.value, expires, now);
        } else if (std::size_t v = r.section - first_view_section;
                   same_views && v < caches.views.size()) {
            ok = caches.views[v]->restore(r.key, r.value, expires, now);
        }
        ++(ok ? report.loaded : report.skipped);
    });
    return report;
}

DumpReport dump_caches(const std::string& path, const CacheSet& caches, const base::Clock& clock) {
    DumpReport report;
    std::vector<uint8_t> bytes = serialize_caches(caches, clock.now(), clock.unix_now());
    report.bytes = bytes.size();
    std::string why;
    if (auto h = check_cache_file(bytes, why)) report.records = h->records;
    report.error = write_file_atomically(path, bytes);
    return report;
}

LoadReport load_caches(const std::string& path, const CacheSet& caches, const base::Clock& clock) {
    std::size_t bound = caches.answers.max_bytes() + caches.rrsets.max_bytes();
    for (const auto* v : caches.views) bound += v->max_bytes();
    LoadReport report;
    auto bytes = read_file_bounded(path, 2 * bound + (1 << 20), report.error);
    if (!bytes) return report;
    return restore_caches(*bytes, caches, clock.now(), clock.unix_now());
}

}  // namespace port53::cache
