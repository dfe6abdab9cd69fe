// Minimal levelled logging to stderr (journald adds timestamps under systemd).
#pragma once
#include <sstream>
#include <string_view>

namespace port53::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(Level l);
bool enabled(Level l);
void write(Level l, std::string_view message);

}  // namespace port53::log

// Builds the message only when the level is enabled: P53_LOG(info, "x=" << x).
#define P53_LOG(lvl, expr)                                                      \
    do {                                                                        \
        if (::port53::log::enabled(::port53::log::Level::lvl)) {                \
            std::ostringstream p53_log_os_;                                     \
            p53_log_os_ << expr;                                                \
            ::port53::log::write(::port53::log::Level::lvl, p53_log_os_.str()); \
        }                                                                       \
    } while (0)
