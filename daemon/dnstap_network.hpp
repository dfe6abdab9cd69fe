// dnstap's resolver messages: a Network (upstream/network.hpp) that hands each query the
// engine sends (RESOLVER_QUERY) and each reply it gets back (RESOLVER_RESPONSE) to the
// dnstap writer, then to the real network. Wrapping the network keeps dnstap out of the
// engine's steps.
#pragma once
#include "server/dnstap.hpp"
#include "upstream/network.hpp"

namespace port53::daemon {

class DnstapNetwork final : public upstream::Network {
  public:
    DnstapNetwork(upstream::Network& inner, server::Dnstap& tap) : inner_(inner), tap_(tap) {}
    base::awaitable<upstream::ExchangeResult> exchange(const upstream::ServerAddr& authority,
                                                       std::span<const uint8_t> query,
                                                       upstream::Proto proto,
                                                       std::chrono::milliseconds timeout) override;
    void note_unwanted() override { inner_.note_unwanted(); }

  private:
    upstream::Network& inner_;
    server::Dnstap& tap_;
};

}  // namespace port53::daemon
