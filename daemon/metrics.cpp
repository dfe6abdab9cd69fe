#include "daemon/metrics.hpp"

#include <boost/asio/ip/address.hpp>
#include <stdexcept>

#include "conf/config.hpp"
#include "daemon/metrics_page.hpp"

namespace port53::daemon {

namespace {

using Page = MetricsPage;

std::string label(const char* key, std::string_view value) {
    return metric_label_pair(key, value);
}

void front_door(Page& p, const server::Server& s) {
    p.family("port53_inflight_questions", "gauge", "Client questions waiting on resolutions.");
    p.sample("port53_inflight_questions", s.inflight());
    server::Server::Counts c = s.counts();
    p.family("port53_rate_limited_total", "counter",
             "Answers dropped or truncated by response rate limiting.");
    p.sample("port53_rate_limited_total", c.rate_limited);
    p.family("port53_tunnel_suspects_total", "counter", "Queries that looked like tunnelling.");
    p.sample("port53_tunnel_suspects_total", c.tunnel_suspects);
    p.family("port53_tunnel_refused_total", "counter",
             "Tunnelling suspects refused under a guarded domain.");
    p.sample("port53_tunnel_refused_total", c.tunnel_refused);
}

void caches(Page& p, const MetricsSources& s) {
    p.family("port53_cache_entries", "gauge", "Entries in each cache.");
    if (s.answers)
        p.sample("port53_cache_entries", s.answers->entries(), label("cache", "answers"));
    if (s.rrsets) p.sample("port53_cache_entries", s.rrsets->entries(), label("cache", "rrsets"));
    p.family("port53_cache_bytes", "gauge",
             "Bytes held by each cache (keys, values, bookkeeping).");
    if (s.answers) p.sample("port53_cache_bytes", s.answers->bytes(), label("cache", "answers"));
    if (s.rrsets) p.sample("port53_cache_bytes", s.rrsets->bytes(), label("cache", "rrsets"));
    p.family("port53_cache_evictions_total", "counter",
             "Entries each cache dropped to stay within its size bound.");
    if (s.answers)
        p.sample("port53_cache_evictions_total", s.answers->evictions(), label("cache", "answers"));
    if (s.rrsets)
        p.sample("port53_cache_evictions_total", s.rrsets->evictions(), label("cache", "rrsets"));
}

void blocklists(Page& p, const MetricsSources& s) {
    if (s.blocklist) {
        p.family("port53_blocklist_answers_total", "counter",
                 "Answers given because of each list (config, file, URL or RPZ zone).");
        for (const auto& c : s.blocklist->counts())
            p.sample("port53_blocklist_answers_total", c.answers, label("list", c.list));
        auto policies = s.blocklist->policies();
        p.family("port53_blocklist_names", "gauge",
                 "Names in the block lists, all lists together.");
        p.sample("port53_blocklist_names", policies->lists.entries());
    }
    if (!s.list_updates) return;
    filter::ListUpdater::Stats st = s.list_updates->stats();
    p.family("port53_blocklist_reloads_total", "counter", "Reloads of the lists, by outcome.");
    p.sample("port53_blocklist_reloads_total", st.reloads, label("outcome", "ok"));
    p.sample("port53_blocklist_reloads_total", st.reload_failures, label("outcome", "failed"));
    p.family("port53_blocklist_downloads_total", "counter", "Downloads of lists, by outcome.");
    p.sample("port53_blocklist_downloads_total", st.downloads, label("outcome", "ok"));
    p.sample("port53_blocklist_downloads_total", st.download_failures, label("outcome", "failed"));
}

void secondaries(Page& p, const MetricsSources& s) {
    if (!s.secondaries || s.secondary_zones.empty()) return;
    struct Family {
        const char* name;
        const char* help;
        const std::atomic<uint64_t> secondary::ZoneCounters::*counter;
    };
    using C = secondary::ZoneCounters;
    for (const Family& f :
         {Family{"port53_secondary_transfers_total", "Zone transfers that worked.",
                 &C::transfers_ok},
          Family{"port53_secondary_transfer_failures_total", "Zone transfers that failed.",
                 &C::transfers_failed},
          Family{"port53_secondary_tsig_failures_total",
                 "Transfers and NOTIFYs refused for their TSIG.", &C::tsig_failures},
          Family{"port53_secondary_notifies_total", "NOTIFYs accepted.", &C::notify_accepted},
          Family{"port53_secondary_notifies_refused_total", "NOTIFYs refused.",
                 &C::notify_refused}}) {
        p.family(f.name, "counter", f.help);
        for (const auto& zone : s.secondary_zones)
            if (const C* c = s.secondaries->counters(zone))
                p.sample(f.name, (c->*f.counter).load(std::memory_order_relaxed),
                         label("zone", zone.to_text()));
    }
}

}  // namespace

std::string render_metrics(const MetricsSources& s) {
    Page p;
    p.family("port53_build_info", "gauge", "The running build (always 1).");
    p.sample("port53_build_info", 1, label("version", PORT53_VERSION));
    p.family("port53_start_time_seconds", "gauge", "When port53d started, Unix seconds.");
    p.sample("port53_start_time_seconds", static_cast<uint64_t>(s.start_time));
    if (s.server) front_door(p, *s.server);
    if (s.counters) render_counters(p, *s.counters);
    caches(p, s);
    blocklists(p, s);
    secondaries(p, s);
    return p.text();
}

std::vector<std::unique_ptr<MetricsListener>> open_metrics(
    const transports::MetricsSettings& settings, boost::asio::io_context& io,
    const MetricsSources& sources) {
    std::vector<std::unique_ptr<MetricsListener>> out;
    for (const auto& text : settings.listen) {
        conf::ListenAddress la = conf::parse_listen_address(text);
        boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address(la.ip), la.port);
        try {
            out.push_back(
                std::make_unique<MetricsListener>(io, ep, server::Acl::parse(settings.acl),
                                                  [&sources] { return render_metrics(sources); }));
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("metrics.listen " + text + ": " + e.code().message());
        }
        out.back()->start();
    }
    return out;
}

std::vector<wire::Name> zone_names(const std::vector<secondary::SecondarySettings>& zones) {
    std::vector<wire::Name> out;
    out.reserve(zones.size());
    for (const auto& z : zones) out.push_back(z.zone);
    return out;
}

}  // namespace port53::daemon
