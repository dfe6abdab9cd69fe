#include "daemon/generation.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "daemon/designated_resolver.hpp"
#include "daemon/list_updates.hpp"
#include "daemon/settings_mapping.hpp"
#include "filter/block_config.hpp"
#include "local/local_source.hpp"

namespace port53::daemon {

namespace {

// Names answered here come before the cache (engine/answer_source.hpp), in this order. Returns
// the blocklists' source (kept current by a ListUpdater), if there are lists.
filter::BlockSource* add_sources(engine::Engine& engine, const conf::Config& cfg,
                                 const secondary::Secondaries& secondaries,
                                 std::shared_ptr<const local::LocalZones> local_zones) {
    engine.add_source(std::make_unique<local::LocalSource>(std::move(local_zones)));
    if (!cfg.secondaries.empty()) {
        engine.add_source(secondaries.make_source());
        engine.set_zone_copies(&secondaries);  // asked in place of their servers (RFC 8806)
    }
    auto source = filter::make_block_source(cfg.blocklist);
    filter::BlockSource* blocklist = source.get();
    if (source) engine.add_source(std::move(source));
    return blocklist;
}

}  // namespace

std::size_t rrset_cache_bytes(const conf::Config& cfg) {
    return (cfg.cache.size_mb << 20) / 2 / (1 + own_rrset_caches(cfg));
}

Generation::Generation(std::shared_ptr<const conf::Config> cfg, const Lasting& lasting,
                       const Generation* previous)
    : cfg_(std::move(cfg)),
      engine_(std::make_unique<engine::Engine>(engine_settings(*cfg_, lasting.live), lasting.hints,
                                               lasting.rrsets, lasting.infra, lasting.network,
                                               lasting.clock)),
      local_(local::build_local_zones(cfg_->local)),
      ddr_(designated_endpoints(*cfg_)) {
    // DDR first: its names are the resolver's own, whatever the local data says.
    if (ddr_) ddr_zones_ = add_designated_source(*engine_, *ddr_, cfg_->tls.dot_doh.doh_path);
    blocklist_ = add_sources(*engine_, *cfg_, lasting.secondaries, local_);
    // After the cache, before iterating. Views' engines answer from their own sources and
    // routes: they keep to their own caches.
    engine_->set_second_level(lasting.shared);
    if (!cfg_->views.empty())
        views_ = std::make_unique<ViewEngines>(
            *cfg_,
            SharedResolver{lasting.hints, lasting.rrsets, local_, blocklist_, lasting.secondaries,
                           lasting.infra, lasting.network, lasting.clock, lasting.live, ddr_},
            rrset_cache_bytes(*cfg_), lasting.shards, previous ? previous->views_.get() : nullptr);
}

Generation::~Generation() {
    stop_updates();
}

std::shared_ptr<const server::Policy> Generation::policy(const std::shared_ptr<Generation>& self,
                                                         const server::Policy* previous) const {
    auto p = std::make_shared<server::Policy>(cfg_->server.front_door, *engine_, previous);
    if (views_) {
        p->view_selector = views_->selector();
        p->views = views_->engines();
    }
    p->owner = self;
    return p;
}

void Generation::start(const boost::asio::any_io_executor& ex, cache::AnswerCache& answers,
                       bool prime) {
    std::shared_ptr<const Generation> self = shared_from_this();
    if (prime) boost::asio::co_spawn(ex, prime_root(*engine_, self), boost::asio::detached);
    if (blocklist_)
        list_updates_ =
            start_list_updates(*blocklist_, cfg_->blocklist, *engine_, answers, ex, self);
    view_list_updates_ = start_views(views_.get(), ex, answers, self);
}

void Generation::stop_updates() {
    list_updates_.reset();
    view_list_updates_.clear();
}

std::vector<cache::RRsetCache*> Generation::view_caches() const {
    return views_ ? views_->own_caches() : std::vector<cache::RRsetCache*>{};
}

void Generation::clear_view_caches() {
    if (views_) views_->clear_caches();
}

}  // namespace port53::daemon
