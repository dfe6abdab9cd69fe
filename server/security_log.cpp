#include "server/security_log.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "base/log.hpp"
#include "server/activity.hpp"

namespace port53::server {

namespace {

std::atomic<uint32_t> g_per_second{SecurityLogSettings{}.per_second};

std::string address_text(const sockaddr* client) {
    char text[INET6_ADDRSTRLEN] = "-";
    if (client && client->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(client)->sin_addr, text,
                  sizeof text);
    else if (client && client->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(client)->sin6_addr, text,
                  sizeof text);
    return text;
}

}  // namespace

bool EventLimiter::admit(uint64_t now_s, uint64_t& suppressed) {
    if (now_s != second_) {
        second_ = now_s;
        in_second_ = 0;
    }
    if (in_second_ >= per_second_) {
        ++suppressed_;
        return false;
    }
    ++in_second_;
    suppressed = std::exchange(suppressed_, 0);
    return true;
}

void configure_security_log(const SecurityLogSettings& s) {
    g_per_second.store(s.per_second, std::memory_order_relaxed);
}

std::string_view security_event_text(SecurityEvent kind) {
    constexpr std::string_view kNames[] = {"refused", "rate-limited", "tunnel-suspect", "bogus",
                                           "proxy"};
    return kNames[static_cast<std::size_t>(kind)];
}

void log_security_event(SecurityEvent kind, const sockaddr* client, std::string_view detail) {
    if (Activity* a = security_activity()) a->security(kind, client);  // the web console's
    if (!base::log_enabled(base::LogLevel::warning)) return;
    // Per worker thread: no lock and no shared counter on the path a flood takes.
    thread_local std::array<std::optional<EventLimiter>, kSecurityEventKinds> t_limiters;
    auto& limiter = t_limiters[static_cast<std::size_t>(kind)];
    if (!limiter) limiter.emplace(g_per_second.load(std::memory_order_relaxed));
    // A coarse clock: the second is all the limiter needs.
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now().time_since_epoch());
    uint64_t suppressed = 0;
    if (!limiter->admit(static_cast<uint64_t>(now.count()), suppressed)) return;
    std::string line =
        "security: " + std::string(security_event_text(kind)) + " client=" + address_text(client);
    if (!detail.empty()) line += " " + std::string(detail);
    if (suppressed) line += " (" + std::to_string(suppressed) + " more suppressed)";
    base::write_log(base::LogLevel::warning, line);
}

}  // namespace port53::server
