#include "server/activity.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>

#include "base/counters.hpp"

namespace port53::server {

namespace {

std::atomic<uint64_t> g_next_id{1};
std::atomic<Activity*> g_security{nullptr};

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Lower-case presentation form of a wire name ("www.example."), without escapes (the console
// shows it as text and searches it), into `out`; cut at its size.
std::string_view name_text(std::span<const uint8_t> wire, std::span<char> out) {
    std::size_t n = 0;
    auto put = [&](char c) {
        if (n < out.size()) out[n++] = c;
    };
    for (std::size_t i = 0; i < wire.size() && wire[i] != 0;) {
        std::size_t len = wire[i];
        if (i + 1 + len > wire.size()) break;
        for (std::size_t k = 0; k < len; ++k) {
            auto c = static_cast<unsigned char>(wire[i + 1 + k]);
            bool upper = c >= 'A' && c <= 'Z', printable = c > 0x20 && c < 0x7f;
            put(upper ? static_cast<char>(c + 32) : printable ? static_cast<char>(c) : '?');
        }
        put('.');
        i += 1 + len;
    }
    if (n == 0) put('.');
    return {out.data(), n};
}

// The client's address as a counting key: a family byte ('4' or '6') and the address bytes,
// 5 or 17 bytes (no text "(other)" or "(unknown)" has those lengths). Made on the workers' path
// without inet_ntop, whose sprintf cost more than the rest of the recording; key_text turns
// it into text when the console reads the counts.
std::string_view client_key(const sockaddr_storage& s, std::span<char, 17> out) {
    if (s.ss_family == AF_INET) {
        out[0] = '4';
        std::memcpy(&out[1], &reinterpret_cast<const sockaddr_in*>(&s)->sin_addr, 4);
        return {out.data(), 5};
    }
    if (s.ss_family == AF_INET6) {
        out[0] = '6';
        std::memcpy(&out[1], &reinterpret_cast<const sockaddr_in6*>(&s)->sin6_addr, 16);
        return {out.data(), 17};
    }
    return "(unknown)";
}

std::string key_text(const std::string& key) {
    char text[INET6_ADDRSTRLEN] = {};
    bool v4 = key.size() == 5 && key[0] == '4', v6 = key.size() == 17 && key[0] == '6';
    if ((!v4 && !v6) || !inet_ntop(v4 ? AF_INET : AF_INET6, key.data() + 1, text, sizeof text))
        return key;
    return text;
}

std::string client_text(const sockaddr_storage& s) {
    return anonymised_address(reinterpret_cast<const sockaddr*>(&s), 32, 128);
}

std::string rcode_text(uint16_t rc) {
    static const char* const kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                         "NXDOMAIN", "NOTIMP",  "REFUSED"};
    if (rc < 6) return kNames[rc];
    return rc == 16 ? "BADVERS" : rc == 23 ? "BADCOOKIE" : "RCODE" + std::to_string(rc);
}

bool contains_folded(std::string_view hay, std::string_view needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           }) != hay.end();
}

}  // namespace

void set_security_activity(Activity* a) {
    g_security.store(a, std::memory_order_release);
}

Activity* security_activity() {
    return g_security.load(std::memory_order_acquire);
}

Activity::Activity(std::size_t ring)
    : ring_(std::max<std::size_t>(ring, 1)), id_(g_next_id.fetch_add(1)) {}

Activity::~Activity() {
    if (security_activity() == this) set_security_activity(nullptr);
}

Activity::Worker& Activity::own() {
    thread_local uint64_t t_owner = 0;
    thread_local Worker* t_worker = nullptr;
    if (t_owner == id_ && t_worker) return *t_worker;
    std::lock_guard lock(workers_m_);
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->ring.resize(ring_);
    t_worker = workers_.back().get();
    t_owner = id_;
    return *t_worker;
}

void Activity::count(Worker& w, Top kind, int64_t unix_s, std::string_view key) {
    int64_t index = unix_s / kBucketSeconds;
    Bucket& b = w.buckets[static_cast<std::size_t>(index) % kBuckets];
    if (b.index != index) {  // a day old: start it again
        for (auto& c : b.counts) c.clear();
        b.index = index;
    }
    auto& counts = b.counts[static_cast<std::size_t>(kind)];
    auto it = counts.find(key);
    if (it == counts.end() && counts.size() >= kMaxKeys) it = counts.try_emplace("(other)").first;
    if (it == counts.end()) it = counts.try_emplace(std::string(key)).first;
    ++it->second;
}

void Activity::record(const QueryRecord& r) {
    Worker& w = own();
    int64_t now = r.unix_us / 1'000'000;
    std::array<char, 255> text{};
    std::string_view name = name_text(r.qname, text);
    std::lock_guard lock(w.m);
    Slot& s = w.ring[w.next];
    w.next = (w.next + 1) % w.ring.size();
    w.filled = std::min(w.filled + 1, w.ring.size());
    s.unix_s = now;
    s.client = {};
    if (r.client)
        std::memcpy(&s.client, r.client,
                    r.client->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    s.name_len = static_cast<uint8_t>(std::min<std::size_t>(name.size(), s.name.size()));
    std::memcpy(s.name.data(), name.data(), s.name_len);
    s.qtype = r.qtype;
    s.rcode = r.rcode;
    s.ede = static_cast<int16_t>(r.ede);
    s.cache_hit = r.cache_hit;
    s.latency_us = static_cast<uint32_t>(std::min<uint64_t>(r.latency_us, UINT32_MAX));
    count(w, Top::names, now, name);
    std::array<char, 17> who{};
    count(w, Top::clients, now, client_key(s.client, who));
    if (r.ede == 15 || r.ede == 17) count(w, Top::blocked, now, name);  // RFC 8914 §4.16, §4.18
}

void Activity::security(SecurityEvent kind, const sockaddr* client) {
    // A sender dropped for its PROXY header is counted among the refused.
    static constexpr Top kTop[] = {Top::refused, Top::rate_limited, Top::tunnel_suspects,
                                   Top::bogus, Top::refused};
    Worker& w = own();
    sockaddr_storage s{};
    if (client)
        std::memcpy(&s, client,
                    client->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    std::array<char, 17> who{};
    std::lock_guard lock(w.m);
    count(w, kTop[static_cast<std::size_t>(kind)], unix_now(), client_key(s, who));
}

namespace {

std::string type_text(uint16_t t) {
    std::size_t slot = base::CounterBlock::qtype_slot(t);
    return slot < base::kQtypeSlots ? base::qtype_name(slot) : "TYPE" + std::to_string(t);
}

}  // namespace

std::vector<Activity::Entry> Activity::search(const Filter& f, std::size_t limit) const {
    std::vector<Entry> out;
    std::lock_guard outer(workers_m_);
    for (const auto& w : workers_) {
        std::lock_guard lock(w->m);
        std::size_t taken = 0;  // from this worker: its newest `limit` are all that can be kept
        for (std::size_t k = 0; k < w->filled && taken < limit; ++k) {
            const Slot& s = w->ring[(w->next + w->ring.size() - 1 - k) % w->ring.size()];
            std::string_view name(s.name.data(), s.name_len);
            std::string client = client_text(s.client);
            bool blocked = s.ede == 15 || s.ede == 17;
            if (!f.needle.empty() && !contains_folded(name, f.needle) &&
                !contains_folded(client, f.needle))
                continue;
            std::string rc = rcode_text(s.rcode), type = type_text(s.qtype);
            if ((!f.rcode.empty() && rc != f.rcode) || (!f.type.empty() && type != f.type) ||
                (f.blocked >= 0 && blocked != (f.blocked == 1)))
                continue;
            out.push_back(
                {s.unix_s, client, std::string(name), type, rc, s.ede, blocked, s.cache_hit});
            ++taken;
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Entry& a, const Entry& b) { return a.unix_s > b.unix_s; });
    if (out.size() > limit) out.resize(limit);
    return out;
}

Activity::Latency Activity::latency(int64_t seconds) const {
    int64_t since = unix_now() - seconds;
    std::vector<uint32_t> all;
    {
        std::lock_guard outer(workers_m_);
        for (const auto& w : workers_) {
            std::lock_guard lock(w->m);
            for (std::size_t k = 0; k < w->filled; ++k) {
                const Slot& s = w->ring[(w->next + w->ring.size() - 1 - k) % w->ring.size()];
                if (s.unix_s >= since) all.push_back(s.latency_us);
            }
        }
    }
    if (all.empty()) return {};
    std::sort(all.begin(), all.end());
    auto at = [&](double q) { return all[static_cast<std::size_t>(q * double(all.size() - 1))]; };
    return {all.size(), at(0.50), at(0.95), at(0.99)};
}

std::vector<Activity::Count> Activity::top(Top kind, int64_t since_unix_s, std::size_t n) const {
    std::map<std::string, uint64_t> sum;
    int64_t first = since_unix_s / kBucketSeconds;
    std::lock_guard outer(workers_m_);
    for (const auto& w : workers_) {
        std::lock_guard lock(w->m);
        for (const Bucket& b : w->buckets) {
            if (b.index < first) continue;
            for (const auto& [key, count] : b.counts[static_cast<std::size_t>(kind)])
                sum[key] += count;
        }
    }
    std::vector<Count> out;
    out.reserve(sum.size());
    bool names = kind == Top::names || kind == Top::blocked;  // the rest count clients
    for (auto& [key, count] : sum) out.push_back({names ? key : key_text(key), count});
    std::sort(out.begin(), out.end(), [](const Count& a, const Count& b) {
        return a.n != b.n ? a.n > b.n : a.key < b.key;
    });
    if (out.size() > n) out.resize(n);
    return out;
}

}  // namespace port53::server
