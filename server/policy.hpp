// What the front door decides with and a reload may change (daemon/reload.hpp): its
// settings (access list, EDNS size, cookies, stale answers), the engines that resolve for
// each view, and the rate limiter and tunnel detector. The Server reads the current one
// through one pointer loaded on each query (a plain load on x86: no lock, no write), so a
// reload swaps all of it at once; the previous one lives on while a worker or a resolution
// may still use it (resolutions hold it, the daemon retires it once every worker has passed
// through its event loop).
#pragma once
#include <memory>
#include <vector>

#include "engine/engine.hpp"
#include "server/rate_limiter.hpp"
#include "server/settings.hpp"
#include "server/tunnel_detector.hpp"
#include "server/views.hpp"
#include "upstream/cookies.hpp"

namespace port53::server {

struct Policy : std::enable_shared_from_this<Policy> {
    // `previous` (null at start): its rate limiter and tunnel detector are kept, with what
    // they learnt about clients, when their settings did not change; so is the random
    // cookie secret when none is configured (clients' cookies stay valid).
    Policy(ServerSettings s, engine::Engine& default_engine, const Policy* previous = nullptr);

    ServerSettings settings;
    engine::Engine* engine;  // the default view's
    ViewSelector view_selector;
    std::vector<engine::Engine*> views;  // view i + 1's engine
    std::shared_ptr<RateLimiter> limiter;
    std::shared_ptr<TunnelDetector> tunnels;
    upstream::CookieSecret cookie_secret;
    // Whatever the engines and their sources belong to (the daemon's generation); null when
    // the caller owns them (tests, the replay bed).
    std::shared_ptr<const void> owner;

    // The engine of `view`; the default view's for one not configured.
    engine::Engine& engine_of(ViewId view) const {
        return view == 0 || view > views.size() ? *engine : *views[view - 1];
    }
};

}  // namespace port53::server
