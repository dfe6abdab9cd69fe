// Network over real sockets: one fresh UDP socket (random source port) per query,
// connected so the kernel drops datagrams from other addresses; TCP for truncated answers.
#pragma once
#include <optional>

#include "resolver/network.hpp"

namespace port53::resolver {

class AsioNetwork final : public Network {
public:
    // Source addresses for outgoing queries; unset means the kernel's choice.
    AsioNetwork(std::optional<ServerAddr> source_v4, std::optional<ServerAddr> source_v6)
        : source_v4_(source_v4), source_v6_(source_v6) {}

    awaitable<ExchangeResult> exchange(const ServerAddr& server, std::span<const uint8_t> query,
                                       Proto proto, std::chrono::milliseconds timeout) override;

private:
    std::optional<ServerAddr> source_v4_, source_v6_;
};

}  // namespace port53::resolver
