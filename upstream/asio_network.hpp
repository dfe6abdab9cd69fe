// Network over real sockets: one fresh UDP socket (random source port) per query,
// connected so the kernel drops datagrams from other addresses; TCP for truncated answers;
// DNS over TLS to configured resolvers (tls_upstream.hpp).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "upstream/network.hpp"
#include "upstream/tls_upstream.hpp"

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
    // The DoT servers and how to authenticate them; until called, Proto::tls always fails.
    // Throws TlsUpstreamError for an unusable CA file. Call before the first exchange.
    void configure_tls(TlsUpstreamSettings settings) {
        tls_ = std::make_unique<TlsUpstream>(std::move(settings));
    }
    const TlsUpstream* tls() const { return tls_.get(); }
    uint64_t unwanted() const { return unwanted_.load(std::memory_order_relaxed); }

  private:
    // The response to `query`, empty on failure or timeout.
    base::awaitable<std::vector<uint8_t>> udp_exchange(const ServerAddr& server,
                                                       std::span<const uint8_t> query,
                                                       std::optional<ServerAddr> source,
                                                       std::chrono::milliseconds timeout);
    base::awaitable<std::vector<uint8_t>> tcp_exchange(const ServerAddr& server,
                                                       std::span<const uint8_t> query,
                                                       std::optional<ServerAddr> source,
                                                       std::chrono::milliseconds timeout);

    std::optional<ServerAddr> source_v4_, source_v6_;
    UpstreamLimits limits_;
    std::atomic<std::size_t> outstanding_{0};
    std::atomic<uint64_t> unwanted_{0};
    std::unique_ptr<TlsUpstream> tls_;
};

}  // namespace port53::upstream
