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
