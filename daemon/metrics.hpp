// What the Prometheus endpoint (daemon/metrics_listener.hpp) shows: the figures the modules
// keep and the per-worker counters (base/counters.hpp), read when scraped and written in the
// text exposition format.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/counters.hpp"
#include "cache/answer_cache.hpp"
#include "cache/rrset_cache.hpp"
#include "daemon/metrics_listener.hpp"
#include "filter/block_source.hpp"
#include "filter/list_updater.hpp"
#include "secondary/secondaries.hpp"
#include "server/server.hpp"
#include "upstream/infra.hpp"

namespace port53::daemon {

// Where the figures are; null members are left out of the page.
struct MetricsSources {
    const server::Server* server = nullptr;
    const cache::AnswerCache* answers = nullptr;
    const cache::RRsetCache* rrsets = nullptr;
    const filter::BlockSource* blocklist = nullptr;
    const filter::ListUpdater* list_updates = nullptr;
    const secondary::Secondaries* secondaries = nullptr;
    std::vector<wire::Name> secondary_zones;
    int64_t start_time = 0;                  // Unix seconds
    const upstream::Infra* infra = nullptr;  // the RTT table (port53-ctl infra)
    const base::Clock* clock = nullptr;      // the resolver's, for the infra table's times
    const base::CounterRegistry* counters = &base::counter_registry();
};

std::string render_metrics(const MetricsSources& s);

// The endpoint on each of settings.listen, serving `sources` (read at each scrape, so members
// set later count), on `io`. Throws std::runtime_error naming an address that is taken.
std::vector<std::unique_ptr<MetricsListener>> open_metrics(
    const transports::MetricsSettings& settings, boost::asio::io_context& io,
    const MetricsSources& sources);

// The zones of the [[secondary]] tables, for their counters.
std::vector<wire::Name> zone_names(const std::vector<secondary::SecondarySettings>& zones);

// A label value as the exposition format wants it: \\, \" and \n escaped.
std::string metric_label(std::string_view value);

}  // namespace port53::daemon
