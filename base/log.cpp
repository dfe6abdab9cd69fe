#include "base/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace port53::base {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
std::mutex g_mutex;
constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
}  // namespace

std::optional<LogLevel> log_level_from_text(std::string_view text) {
    for (int i = 0; i < 4; ++i)
        if (text == kNames[i]) return static_cast<LogLevel>(i);
    return std::nullopt;
}

std::string_view log_level_text(LogLevel l) {
    return kNames[static_cast<int>(l)];
}

LogLevel current_log_level() {
    return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed));
}

void set_log_level(LogLevel l) {
    g_level = static_cast<int>(l);
}
bool log_enabled(LogLevel l) {
    return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed);
}

void write_log(LogLevel l, std::string_view message) {
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "port53d[%s]: %.*s\n", kNames[static_cast<int>(l)],
                 static_cast<int>(message.size()), message.data());
}

}  // namespace port53::base
