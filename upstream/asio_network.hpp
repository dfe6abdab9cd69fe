// Network over real sockets: one fresh UDP socket (random source port) per query,
// connected so the kernel drops datagrams from other addresses; TCP for truncated answers.
#pragma once
#include <atomic>
#include <functional>
#include <optional>

#include "upstream/network.hpp"

namespace port53::upstream {

struct UpstreamLimits {
    std::size_t max_outstanding = 10'000;      // queries to authorities open at once, all workers
    uint64_t unwanted_threshold = 10'000'000;  // 0: off
    // Called each time the unwanted replies reach another multiple of the threshold
    // (like Unbound's unwanted-reply-threshold: the caches are flushed, as they may be
    // poisoned).
    std::function<void()> on_unwanted_threshold;
};

class AsioNetwork final : public Network {
  public:
    // Source addresses for outgoing queries; unset means the kernel's choice.
    AsioNetwork(std::optional<ServerAddr> source_v4, std::optional<ServerAddr> source_v6,
                UpstreamLimits limits = {})
        : source_v4_(source_v4), source_v6_(source_v6), limits_(std::move(limits)) {}

    base::awaitable<ExchangeResult> exchange(const ServerAddr& server,
                                             std::span<const uint8_t> query, Proto proto,
                                             std::chrono::milliseconds timeout) override;
    void note_unwanted() override;
    uint64_t unwanted() const { return unwanted_.load(std::memory_order_relaxed); }

  private:
    std::optional<ServerAddr> source_v4_, source_v6_;
    UpstreamLimits limits_;
    std::atomic<std::size_t> outstanding_{0};
    std::atomic<uint64_t> unwanted_{0};
};

}  // namespace port53::upstream
