// Split horizon (server/views.hpp) wired up: one engine::Engine per [[view]] with the view's
// answer sources and routes, sharing the infra cache and the network with the default
// view's engine. RRsets are shared where that is sound: a view whose forward and stub zones
// are the top level's (its own local data and blocklists are answer sources, asked before
// the cache and never stored in it) shares the default RRset cache, so public names it
// misses in the answer cache cost no upstream query; a view with routes of its own has an
// RRset cache of its own, since the same name (and every delegation and key above it) may
// hold other data behind its routes than in the public tree.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "cache/rrset_cache.hpp"
#include "conf/config.hpp"
#include "engine/engine.hpp"
#include "filter/block_source.hpp"
#include "filter/list_updater.hpp"
#include "local/designated_resolver.hpp"
#include "local/local_zones.hpp"
#include "secondary/secondaries.hpp"
#include "server/views.hpp"
#include "upstream/infra.hpp"
#include "upstream/network.hpp"
#include "upstream/root_hints.hpp"

namespace port53::daemon {

// What every view's engine shares with the default view's.
struct SharedResolver {
    const upstream::RootHints& hints;
    cache::RRsetCache& rrsets;                       // the default view's
    std::shared_ptr<const local::LocalZones> local;  // the top level's, for inheriting views
    filter::BlockSource* blocklist;  // the top level's (null: none), for views that add none
    const secondary::Secondaries& secondaries;  // asked by inheriting views, if any
    upstream::Infra& infra;
    upstream::Network& network;
    const base::Clock& clock;
    std::shared_ptr<const dnssec::LiveAnchor> live_anchor = nullptr;  // RFC 5011 upkeep
    std::optional<local::DesignatedEndpoints> ddr = std::nullopt;     // DDR, if on
};

// How many views need an RRset cache of their own (routes other than the top level's).
std::size_t own_rrset_caches(const conf::Config& cfg);

class ViewEngines {
  public:
    // `rrset_bytes`: the size of each view's own RRset cache. `previous` (a reload): a view
    // of the same name and routes keeps the RRset cache it had there.
    ViewEngines(const conf::Config& cfg, const SharedResolver& shared, std::size_t rrset_bytes,
                std::size_t shards, const ViewEngines* previous = nullptr);

    server::ViewSelector selector() const { return selector_; }
    std::vector<engine::Engine*> engines() const;
    // The unwanted-reply threshold was crossed: their caches may be poisoned too.
    void clear_caches();
    // The views' own RRset caches (port53-ctl flush reaches them too).
    std::vector<cache::RRsetCache*> own_caches() const;
    // RFC 8109 §3: each engine primes the root at start (a view with its own RRset cache
    // needs its own priming; the others find the root's NS set cached). Returns what keeps
    // the views' own blocklists current (daemon/list_updates.hpp).
    // `owner` owns these engines: the coroutines started here hold it (daemon/list_updates.hpp).
    std::vector<std::unique_ptr<filter::ListUpdater>> start(
        const boost::asio::any_io_executor& ex, cache::AnswerCache& answers,
        const std::shared_ptr<const void>& owner);

  private:
    server::ViewSelector selector_;
    // The views' own, shared with the generation before when the view kept its routes.
    struct OwnCache {
        std::string view;
        std::vector<engine::ZoneRoute> forward_zones, stub_zones;
        std::shared_ptr<cache::RRsetCache> cache;
    };
    std::shared_ptr<cache::RRsetCache> own_cache(const conf::Config::View& v, std::size_t bytes,
                                                 std::size_t shards, const conf::Config& cfg,
                                                 const ViewEngines* previous);
    std::vector<OwnCache> caches_;
    std::vector<std::unique_ptr<engine::Engine>> engines_;  // view i + 1's
    // The views' own blocklists (merged with the top level's), with their settings and
    // the engine that resolves the hosts of their URLs.
    struct OwnBlocklist {
        filter::BlockSource* source;
        const filter::BlockSettings* settings;
        engine::Engine* engine;
    };
    std::vector<OwnBlocklist> blocklists_;
};

// views->start(ex, answers, owner), once the workers run; nothing without views.
std::vector<std::unique_ptr<filter::ListUpdater>> start_views(
    ViewEngines* views, const boost::asio::any_io_executor& ex, cache::AnswerCache& answers,
    const std::shared_ptr<const void>& owner);

// The view a listen address serves (0: none), `address` as written in server.listen or
// tls.*_listen.
server::ViewId listener_view(const conf::Config& cfg, const std::string& address);

}  // namespace port53::daemon
