// RFC 5011 trust-anchor upkeep wired up: the anchored zone's DNSKEY RRset is asked through
// the engine at the §2.3 refresh times (and checked against the keys trusted so far),
// dnssec::AnchorTracker moves the keys' states, the validators read the trusted keys through a
// dnssec::LiveAnchor, and the state file (resolver.trust_anchor_state) is rewritten atomically
// after each change so hold-downs survive restarts. Off when no state file is configured.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "base/clock.hpp"
#include "base/coro.hpp"
#include "conf/config.hpp"
#include "dnssec/anchor_tracker.hpp"
#include "dnssec/trust_anchors.hpp"
#include "engine/engine.hpp"

namespace port53::daemon {

class TrustAnchorUpkeep {
  public:
    // Tracks the first anchor point of `configured` (the root, normally), starting from the
    // state file at `path`; a missing file starts from `configured`, a corrupt one too, with
    // a warning.
    TrustAnchorUpkeep(std::string path, const dnssec::TrustAnchors& configured,
                      dnssec::HoldDowns holddowns, const dnssec::Limits& limits,
                      const base::Clock& clock);
    std::shared_ptr<const dnssec::LiveAnchor> live() const { return live_; }
    // Refreshes now and then at the tracker's times, on `ex`, until the executor stops.
    void start(engine::Engine& engine, const boost::asio::any_io_executor& ex);
    // For port53-ctl trust-anchors: each key's tag, algorithm, state and next change.
    std::string report() const;

  private:
    base::awaitable<void> run(engine::Engine& engine);
    uint32_t refresh(const std::vector<wire::Record>& answer);  // seconds to the next one
    void publish_and_save();
    void load();

    std::string path_;
    dnssec::Limits limits_;
    const base::Clock& clock_;
    mutable std::mutex mutex_;
    dnssec::AnchorTracker tracker_;
    std::shared_ptr<dnssec::LiveAnchor> live_;
    uint32_t next_refresh_ = 0;  // Unix seconds
    std::string last_refresh_ = "none yet";
};

// The upkeep if resolver.trust_anchor_state is set (throws "file:line: ..." for a bad
// trust_anchor file), else nothing.
std::unique_ptr<TrustAnchorUpkeep> make_trust_anchor_upkeep(const conf::Config& cfg,
                                                            const base::Clock& clock);

}  // namespace port53::daemon
