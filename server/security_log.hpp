// Security events (issue 12): clients refused by the access list, rate-limited, suspected
// of tunnelling, or given a bogus answer, logged at `warning` with the client's address so
// "who is knocking" is one grep away. A flood must not fill the disk: each kind is itself
// rate-limited, at most `per_second` lines a second on each worker, and the first line of
// the next second says how many were left out.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "server/log_settings.hpp"

namespace port53::server {

// proxy: a datagram or connection dropped for its PROXY v2 header (transports/proxy_policy).
enum class SecurityEvent { refused, rate_limited, tunnel_suspect, bogus, proxy };
constexpr std::size_t kSecurityEventKinds = 5;

// Admits at most `per_second` events in each whole second; counts the rest. Not thread-safe:
// one per worker and kind.
class EventLimiter {
  public:
    explicit EventLimiter(uint32_t per_second) : per_second_(per_second) {}
    // True: log this one. `suppressed` is then how many were refused since the last one
    // admitted (to be reported with it).
    bool admit(uint64_t now_s, uint64_t& suppressed);

  private:
    uint32_t per_second_;
    uint64_t second_ = 0;
    uint32_t in_second_ = 0;
    uint64_t suppressed_ = 0;
};

// Sets the rate for every worker (before the workers start).
void configure_security_log(const SecurityLogSettings& s);
// Logs the event (if its kind has room this second): "security: KIND client=ADDR DETAIL".
void log_security_event(SecurityEvent kind, const sockaddr* client, std::string_view detail);
std::string_view security_event_text(SecurityEvent kind);

}  // namespace port53::server
