#include "upstream/infra.hpp"

#include <algorithm>
#include <map>
#include <optional>

namespace port53::upstream {
namespace {
constexpr std::size_t kShards = 16;
constexpr uint32_t kBandUs = 400'000;

// ServerAddr::key() read back: 4 or 16 address bytes, then the port.
std::optional<ServerAddr> addr_of_key(std::string_view k) {
    if (k.size() != 6 && k.size() != 18) return std::nullopt;
    ServerAddr a;
    a.v6 = k.size() == 18;
    std::copy(k.begin(), k.end() - 2, a.ip.begin());
    a.port = static_cast<uint16_t>(static_cast<uint8_t>(k[k.size() - 2]) << 8 |
                                   static_cast<uint8_t>(k.back()));
    return a;
}

// A lameness key (zone's wire form, then the server's key) split in two.
std::optional<std::pair<wire::Name, ServerAddr>> lame_key(std::string_view k) {
    std::size_t pos = 0;
    while (pos < k.size() && k[pos] != 0) pos += 1 + static_cast<uint8_t>(k[pos]);
    if (pos >= k.size()) return std::nullopt;
    auto zone = wire::Name::from_wire(k.substr(0, pos + 1));
    auto addr = addr_of_key(k.substr(pos + 1));
    if (!zone || !addr) return std::nullopt;
    return std::pair{*zone, *addr};
}

}  // namespace

Infra::Infra(InfraSettings s) : settings_(s) {
    for (std::size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

Infra::Shard& Infra::shard(const std::string& key) {
    return *shards_[std::hash<std::string>{}(key) % kShards];
}

template <typename F>
auto Infra::with_host(const ServerAddr& a, F&& f) {
    std::string key = a.key();
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    // Bounded memory: a full shard forgets everything; entries are cheap to relearn.
    if (s.hosts.size() >= settings_.max_entries / kShards && !s.hosts.contains(key))
        s.hosts.clear();
    return f(s.hosts[key]);
}

std::chrono::milliseconds Infra::timeout_for(const ServerAddr& a) {
    return with_host(a, [&](Stats& st) {
        using std::chrono::milliseconds;
        milliseconds base = st.measured ? milliseconds((st.srtt_us + 4 * st.rttvar_us) / 1000)
                                        : settings_.unknown_rtt;
        // Each consecutive failure doubles the wait (RFC 6298 §5.5).
        base *= (1u << std::min<uint32_t>(st.failures, 4));
        return std::clamp(base, settings_.min_timeout, settings_.max_timeout);
    });
}

void Infra::on_response(const ServerAddr& a, std::chrono::microseconds rtt) {
    with_host(a, [&](Stats& st) {
        auto r = static_cast<uint32_t>(std::min<int64_t>(rtt.count(), 60'000'000));
        if (!st.measured) {
            st.srtt_us = r;
            st.rttvar_us = r / 2;
            st.measured = true;
        } else {
            uint32_t diff = r > st.srtt_us ? r - st.srtt_us : st.srtt_us - r;
            st.rttvar_us = (3 * st.rttvar_us + diff) / 4;
            st.srtt_us = (7 * st.srtt_us + r) / 8;
        }
        st.failures = 0;
        st.avoid_until = 0;
    });
}

void Infra::on_failure(const ServerAddr& a, uint32_t now) {
    with_host(a, [&](Stats& st) {
        ++st.failures;
        if (st.failures >= 2) {
            uint32_t backoff =
                std::min<uint32_t>(settings_.backoff_max, 1u << std::min(st.failures, 7u));
            st.avoid_until = now + backoff;
        }
    });
}

bool Infra::edns_broken(const ServerAddr& a) {
    return with_host(a, [](Stats& st) { return st.no_edns; });
}

void Infra::set_edns_broken(const ServerAddr& a) {
    with_host(a, [](Stats& st) { st.no_edns = true; });
}

bool Infra::no_0x20(const ServerAddr& a) {
    return with_host(a, [](Stats& st) { return st.no_0x20; });
}

void Infra::set_no_0x20(const ServerAddr& a) {
    with_host(a, [](Stats& st) { st.no_0x20 = true; });
}

std::string Infra::server_cookie(const ServerAddr& a) {
    return with_host(a, [](Stats& st) { return st.cookie; });
}

void Infra::set_server_cookie(const ServerAddr& a, std::string_view cookie) {
    with_host(a, [&](Stats& st) { st.cookie.assign(cookie); });
}

Infra::Stats Infra::stats(const ServerAddr& a) {
    return with_host(a, [](Stats& st) { return st; });
}

std::vector<Infra::Entry> Infra::entries() const {
    std::map<ServerAddr, Entry> out;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        for (const auto& [key, st] : shard->hosts)
            if (auto a = addr_of_key(key)) out[*a] = Entry{*a, st, {}};
    }
    // Second pass: a server's lameness may sit in another shard than its figures.
    for (auto& shard : shards_) {
        std::lock_guard lock(shard->mutex);
        for (const auto& [key, until] : shard->lame_until)
            if (auto zl = lame_key(key)) {
                Entry& e = out.try_emplace(zl->second, Entry{zl->second, {}, {}}).first->second;
                e.lame_until.emplace_back(zl->first, until);
            }
    }
    std::vector<Entry> v;
    v.reserve(out.size());
    for (auto& [a, e] : out) v.push_back(std::move(e));
    return v;
}

void Infra::mark_lame(const wire::Name& zone, const ServerAddr& a, uint32_t now) {
    std::string key = zone.key() + a.key();
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    if (s.lame_until.size() >= settings_.max_entries / kShards) s.lame_until.clear();
    s.lame_until[key] = now + settings_.lame_ttl;
}

bool Infra::is_lame(const wire::Name& zone, const ServerAddr& a, uint32_t now) {
    std::string key = zone.key() + a.key();
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    auto it = s.lame_until.find(key);
    return it != s.lame_until.end() && it->second > now;
}

std::vector<ServerAddr> Infra::order(std::span<const ServerAddr> candidates, uint32_t now) {
    struct Scored {
        ServerAddr addr;
        uint64_t score;
        bool avoided;
    };
    std::vector<Scored> scored;
    for (const auto& a : candidates) {
        Stats st = stats(a);
        uint64_t score = st.measured ? st.srtt_us : settings_.unknown_rtt.count() * 1000;
        scored.push_back({a, score, st.avoid_until > now});
    }
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::shuffle(scored.begin(), scored.end(), rng);
    std::stable_sort(scored.begin(), scored.end(), [](const Scored& x, const Scored& y) {
        if (x.avoided != y.avoided) return !x.avoided;
        return x.score < y.score;
    });
    // Promote a random member of the best band to the front.
    std::size_t band = 0;
    while (band < scored.size() && !scored[band].avoided &&
           scored[band].score <= scored[0].score + kBandUs)
        ++band;
    if (band > 1) std::swap(scored[0], scored[rng() % band]);
    std::vector<ServerAddr> out;
    out.reserve(scored.size());
    for (auto& s : scored) out.push_back(s.addr);
    return out;
}

}  // namespace port53::upstream
