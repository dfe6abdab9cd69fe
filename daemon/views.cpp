#include "daemon/views.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>

#include "base/log.hpp"
#include "daemon/designated_resolver.hpp"
#include "daemon/list_updates.hpp"
#include "daemon/settings_mapping.hpp"
#include "filter/block_config.hpp"
#include "local/local_config.hpp"
#include "local/local_source.hpp"

namespace port53::daemon {

namespace {

// The top level's blocklist asked for a view too: one copy of the lists, kept current by
// the top level's updater.
class SharedSource final : public engine::AnswerSource {
  public:
    explicit SharedSource(engine::AnswerSource& source) : source_(source) {}
    std::string_view name() const override { return source_.name(); }
    base::awaitable<std::optional<engine::Step>> answer(const engine::SourceQuestion& q,
                                                        engine::Budget& budget) override {
        return source_.answer(q, budget);
    }

  private:
    engine::AnswerSource& source_;
};

bool own_routes(const conf::Config& cfg, const conf::Config::View& v) {
    const auto& top = cfg.resolver.engine;
    return v.forward_zones != top.forward_zones || v.stub_zones != top.stub_zones;
}

}  // namespace

std::size_t own_rrset_caches(const conf::Config& cfg) {
    std::size_t n = 0;
    for (const auto& v : cfg.views) n += own_routes(cfg, v) ? 1 : 0;
    return n;
}

std::shared_ptr<cache::RRsetCache> ViewEngines::own_cache(const conf::Config::View& v,
                                                          std::size_t bytes, std::size_t shards,
                                                          const conf::Config& cfg,
                                                          const ViewEngines* previous) {
    // Issue 12: a reload keeps the caches. Only where the view's routes are the same: what
    // it learnt through a forwarder it no longer uses must not answer for it.
    if (previous)
        for (const auto& c : previous->caches_)
            if (c.view == v.name && c.forward_zones == v.forward_zones &&
                c.stub_zones == v.stub_zones) {
                c.cache->set_capacity(bytes);
                return c.cache;
            }
    return std::make_shared<cache::RRsetCache>(bytes, shards, cfg.cache.ttl);
}

ViewEngines::ViewEngines(const conf::Config& cfg, const SharedResolver& shared,
                         std::size_t rrset_bytes, std::size_t shards, const ViewEngines* previous) {
    // The default view's settings (anchors, limits) with each view's routes.
    const engine::EngineSettings base = engine_settings(cfg, shared.live_anchor);
    for (std::size_t i = 0; i < cfg.views.size(); ++i) {
        const conf::Config::View& v = cfg.views[i];
        auto id = static_cast<server::ViewId>(i + 1);
        selector_.add_clients(id, v.clients);
        engine::EngineSettings settings = base;
        settings.forward_zones = v.forward_zones;
        settings.stub_zones = v.stub_zones;
        cache::RRsetCache* rrsets = &shared.rrsets;
        if (own_routes(cfg, v)) {
            caches_.push_back({v.name, v.forward_zones, v.stub_zones,
                               own_cache(v, rrset_bytes, shards, cfg, previous)});
            rrsets = caches_.back().cache.get();
        }
        auto e = std::make_unique<engine::Engine>(std::move(settings), shared.hints, *rrsets,
                                                  shared.infra, shared.network, shared.clock);
        // DDR first (with the view's own DoH path, where its clients are served), then the
        // view's own names; with inherit the top level's after them.
        if (shared.ddr)
            add_designated_source(
                *e, *shared.ddr,
                v.doh_paths.empty() ? cfg.tls.dot_doh.doh_path : v.doh_paths.front());
        e->add_source(std::make_unique<local::LocalSource>(local::build_local_zones(v.local)));
        if (v.inherit) e->add_source(std::make_unique<local::LocalSource>(shared.local));
        if (v.inherit && !cfg.secondaries.empty()) {
            e->add_source(shared.secondaries.make_source());
            e->set_zone_copies(&shared.secondaries);
        }
        // With inherit and no lists of its own the view asks the top level's; otherwise it
        // loads its lists (with inherit, the top level's and its own together, so that an
        // allow in either wins over a block in either).
        if (v.blocklist == cfg.blocklist && shared.blocklist) {
            e->add_source(std::make_unique<SharedSource>(*shared.blocklist));
        } else if (auto blocklist = filter::make_block_source(v.blocklist)) {
            blocklists_.push_back({blocklist.get(), &v.blocklist, e.get()});
            e->add_source(std::move(blocklist));
        }
        P53_LOG(info, "view " << v.name << ": " << v.clients.size() << " network(s), "
                              << v.listeners.size() << " listener(s), " << v.doh_paths.size()
                              << " DoH path(s); RRset cache "
                              << (rrsets == &shared.rrsets ? "shared" : "its own"));
        engines_.push_back(std::move(e));
    }
}

std::vector<engine::Engine*> ViewEngines::engines() const {
    std::vector<engine::Engine*> out;
    for (const auto& e : engines_) out.push_back(e.get());
    return out;
}

void ViewEngines::clear_caches() {
    for (auto& c : caches_) c.cache->clear();
}

std::vector<cache::RRsetCache*> ViewEngines::own_caches() const {
    std::vector<cache::RRsetCache*> out;
    out.reserve(caches_.size());
    for (const auto& c : caches_) out.push_back(c.cache.get());
    return out;
}

std::vector<std::unique_ptr<filter::ListUpdater>> ViewEngines::start(
    const boost::asio::any_io_executor& ex, cache::AnswerCache& answers,
    const std::shared_ptr<const void>& owner) {
    for (auto& e : engines_)
        boost::asio::co_spawn(ex, prime_root(*e, owner), boost::asio::detached);
    std::vector<std::unique_ptr<filter::ListUpdater>> out;
    for (const auto& b : blocklists_)
        out.push_back(
            daemon::start_list_updates(*b.source, *b.settings, *b.engine, answers, ex, owner));
    return out;
}

std::vector<std::unique_ptr<filter::ListUpdater>> start_views(
    ViewEngines* views, const boost::asio::any_io_executor& ex, cache::AnswerCache& answers,
    const std::shared_ptr<const void>& owner) {
    if (!views) return {};
    return views->start(ex, answers, owner);
}

server::ViewId listener_view(const conf::Config& cfg, const std::string& address) {
    conf::ListenAddress a = conf::parse_listen_address(address);
    auto ip = boost::asio::ip::make_address(a.ip);
    for (std::size_t i = 0; i < cfg.views.size(); ++i)
        for (const auto& l : cfg.views[i].listeners) {
            conf::ListenAddress b = conf::parse_listen_address(l);
            if (b.port == a.port && boost::asio::ip::make_address(b.ip) == ip)
                return static_cast<server::ViewId>(i + 1);
        }
    return 0;
}

}  // namespace port53::daemon
