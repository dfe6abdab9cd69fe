#include "server/inflight.hpp"

#include <netinet/in.h>

#include <cstring>

#include "wire/types.hpp"

namespace port53::server {
using namespace wire;

std::vector<uint8_t> compact_query(std::span<const uint8_t> query, const QueryView& q) {
    std::vector<uint8_t> out(query.begin(), query.begin() + q.question_end);
    store16(&out[6], 0);
    store16(&out[8], 0);
    store16(&out[10], q.edns ? 1 : 0);
    if (!q.edns) return out;
    std::size_t cookie = q.cookie_len ? 4u + q.cookie_len : 0u;
    std::size_t at = out.size();
    out.resize(at + 11 + cookie);
    out[at] = 0;  // root owner
    store16(&out[at + 1], type::OPT);
    store16(&out[at + 3], q.udp_size);
    store32(&out[at + 5], q.dnssec_ok ? kEdnsDoBit : 0);
    store16(&out[at + 9], static_cast<uint16_t>(cookie));
    if (cookie) {
        store16(&out[at + 11], edns_option::COOKIE);
        store16(&out[at + 13], q.cookie_len);
        std::memcpy(&out[at + 15], q.cookie, q.cookie_len);
    }
    return out;
}

std::string InflightTable::client_key(const sockaddr_storage& a) {
    if (a.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(a);
        return std::string(reinterpret_cast<const char*>(&in.sin_addr), 4);
    }
    if (a.ss_family == AF_INET6) {
        // A /64 is one client: a host may use any address of its subnet.
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
        return std::string(reinterpret_cast<const char*>(&in6.sin6_addr), 8);
    }
    return {};  // unknown: a trusted caller that named no client
}

InflightTable::Join InflightTable::join(const std::string& key, Waiter w) {
    std::string who = client_key(w.client);
    std::lock_guard lock(mutex_);
    auto it = questions_.find(key);
    // A caller that names no client (trusted) has no share to count against.
    std::size_t unlimited = 0;
    std::size_t& mine = who.empty() ? unlimited : per_client_[who];
    if (waiters_ >= limits_.max_waiters || (!who.empty() && mine >= limits_.per_client) ||
        (it != questions_.end() && it->second.size() >= limits_.per_question) ||
        (it == questions_.end() && questions_.size() >= limits_.max_waiters)) {
        if (!who.empty() && mine == 0) per_client_.erase(who);
        return Join::full;
    }
    ++mine;
    ++waiters_;
    bool first = it == questions_.end();
    if (first) {
        it = questions_.try_emplace(key).first;
        started_[key] = std::chrono::steady_clock::now();
    }
    it->second.push_back(std::move(w));
    return first ? Join::first : Join::joined;
}

bool InflightTable::start(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (questions_.size() >= limits_.max_waiters) return false;
    if (!questions_.try_emplace(key).second) return false;
    started_[key] = std::chrono::steady_clock::now();
    return true;
}

void InflightTable::release(const Waiter& w) {
    std::string who = client_key(w.client);
    auto it = who.empty() ? per_client_.end() : per_client_.find(who);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
    --waiters_;
}

std::vector<Waiter> InflightTable::finish(const std::string& key) {
    std::vector<Waiter> out;
    std::lock_guard lock(mutex_);
    auto it = questions_.find(key);
    if (it == questions_.end()) return out;
    out = std::move(it->second);
    questions_.erase(it);
    started_.erase(key);
    for (const auto& w : out) release(w);
    return out;
}

void InflightTable::clear() {
    decltype(questions_) gone;
    std::lock_guard lock(mutex_);
    gone.swap(questions_);
    started_.clear();
    per_client_.clear();
    waiters_ = 0;
}

std::size_t InflightTable::questions() const {
    std::lock_guard lock(mutex_);
    return questions_.size();
}

std::vector<InflightTable::Listed> InflightTable::list() const {
    std::vector<Listed> out;
    std::lock_guard lock(mutex_);
    out.reserve(questions_.size());
    for (const auto& [key, waiters] : questions_) {
        auto it = started_.find(key);
        out.push_back({key, it == started_.end() ? std::chrono::steady_clock::now() : it->second,
                       waiters.size()});
    }
    return out;
}

}  // namespace port53::server
