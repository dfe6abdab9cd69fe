// Minimal levelled logging to stderr (journald adds timestamps under systemd).
#pragma once
#include <optional>
#include <sstream>
#include <string_view>

namespace port53::base {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };

void set_log_level(LogLevel l);
// "debug", "info", "warning" or "error"; nullopt for anything else.
std::optional<LogLevel> log_level_from_text(std::string_view text);
std::string_view log_level_text(LogLevel l);
LogLevel current_log_level();
bool log_enabled(LogLevel l);
void write_log(LogLevel l, std::string_view message);

}  // namespace port53::base

// Builds the message only when the level is enabled: P53_LOG(info, "x=" << x).
#define P53_LOG(lvl, expr)                                                               \
    do {                                                                                 \
        if (::port53::base::log_enabled(::port53::base::LogLevel::lvl)) {                \
            std::ostringstream p53_log_os_;                                              \
            p53_log_os_ << expr; /* NOLINT(bugprone-macro-parentheses): a << chain */    \
            ::port53::base::write_log(::port53::base::LogLevel::lvl, p53_log_os_.str()); \
        }                                                                                \
    } while (0)
