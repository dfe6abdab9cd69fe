// What one reading of the configuration builds, and a reload (daemon/reload.hpp) replaces
// whole: the configuration itself, the default view's engine with its answer sources (local
// data, secondary zones, blocklists), the views' engines, and what keeps the blocklists
// current. What lasts across reloads is shared by every generation (Lasting): the caches, the
// infra table, the network, the secondary zones and the root hints. A generation is built
// off the workers and then only read; the server's policy (server/policy.hpp) keeps it alive
// while anything may still resolve with it.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "cache/rrset_cache.hpp"
#include "conf/config.hpp"
#include "daemon/views.hpp"
#include "engine/engine.hpp"
#include "filter/block_source.hpp"
#include "filter/list_updater.hpp"
#include "local/designated_resolver.hpp"
#include "local/local_zones.hpp"
#include "secondary/secondaries.hpp"
#include "server/policy.hpp"
#include "upstream/infra.hpp"
#include "upstream/network.hpp"
#include "upstream/root_hints.hpp"
#include "upstream/shared_store.hpp"

namespace port53::daemon {

// What every generation shares (daemon/main.cpp owns it; it outlives them all).
struct Lasting {
    const upstream::RootHints& hints;
    cache::AnswerCache& answers;
    cache::RRsetCache& rrsets;
    const secondary::Secondaries& secondaries;
    upstream::Infra& infra;
    upstream::Network& network;
    const base::Clock& clock;
    std::size_t shards;
    // RFC 5011: the anchor the upkeep keeps current (daemon/trust_anchor_upkeep.hpp); null: off.
    std::shared_ptr<const dnssec::LiveAnchor> live = nullptr;
    // The fleet's second-level cache (redis.enabled), for the default view's engine; null: off.
    std::shared_ptr<upstream::SharedStore> shared = nullptr;
};

// The size of each view's own RRset cache, and the default one's: half the cache budget,
// split evenly (the other half is the answer cache's).
std::size_t rrset_cache_bytes(const conf::Config& cfg);

class Generation : public std::enable_shared_from_this<Generation> {
  public:
    // Builds everything `cfg` asks for; throws (with the file and line where there is one)
    // when a part cannot be built.
    // `previous` (a reload): views that keep their routes keep their RRset caches.
    Generation(std::shared_ptr<const conf::Config> cfg, const Lasting& lasting,
               const Generation* previous = nullptr);
    ~Generation();
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;

    // The front door's policy with these engines; `previous` as in server::Policy.
    std::shared_ptr<const server::Policy> policy(const std::shared_ptr<Generation>& self,
                                                 const server::Policy* previous) const;
    // Once the workers run: keeps the blocklists current (list updates resolve on `ex`);
    // `prime`: RFC 8109 §3, prime the root now (at start; a reload finds it cached).
    void start(const boost::asio::any_io_executor& ex, cache::AnswerCache& answers, bool prime);
    // Stops the list updates (a newer generation took over, or shutting down).
    void stop_updates();

    const conf::Config& config() const { return *cfg_; }
    engine::Engine& engine() { return *engine_; }
    // Whether `name` is answered here from local data or DDR's records (a reload forgets
    // the cached answers for such names).
    bool answers_locally(const wire::Name& name) const {
        return local_->covers(name) || (ddr_zones_ && ddr_zones_->covers(name));
    }
    const filter::BlockSource* blocklist() const { return blocklist_; }
    const filter::ListUpdater* list_updates() const { return list_updates_.get(); }
    // The views' own RRset caches (none without views).
    std::vector<cache::RRsetCache*> view_caches() const;
    void clear_view_caches();

  private:
    std::shared_ptr<const conf::Config> cfg_;  // first: the parts below refer to it
    std::unique_ptr<engine::Engine> engine_;
    std::shared_ptr<const local::LocalZones> local_;
    std::optional<local::DesignatedEndpoints> ddr_;       // DDR (RFC 9462), if on
    std::shared_ptr<const local::LocalZones> ddr_zones_;  // its records, the top level's
    filter::BlockSource* blocklist_ = nullptr;            // owned by engine_ as an answer source
    std::unique_ptr<ViewEngines> views_;
    // Last: they stop before what they update goes.
    std::unique_ptr<filter::ListUpdater> list_updates_;
    std::vector<std::unique_ptr<filter::ListUpdater>> view_list_updates_;
};

}  // namespace port53::daemon
