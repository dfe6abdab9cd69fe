// The engine's only way to reach authorities. Production uses AsioNetwork; unit tests
// plug in scripted answers, so one whole resolution runs without sockets.
#pragma once
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "base/coro.hpp"
#include "upstream/address.hpp"

namespace port53::upstream {

// tls: DNS over TLS (RFC 7858) to a server configured with an authentication name;
// never answered by a fallback to udp or tcp.
enum class Proto { udp, tcp, tls };

struct ExchangeResult {
    enum class Status { ok, timeout, error } status = Status::error;
    std::vector<uint8_t> response;  // only a response whose ID and question match the query
    std::chrono::microseconds rtt{0};
};

class Network {
  public:
    virtual ~Network() = default;
    virtual base::awaitable<ExchangeResult> exchange(const ServerAddr& server,
                                                     std::span<const uint8_t> query, Proto proto,
                                                     std::chrono::milliseconds timeout) = 0;
    // A reply that was not the one expected (spoofing attempt or broken server): counted
    // towards the unwanted-reply defence.
    virtual void note_unwanted() {}
};

}  // namespace port53::upstream
