#include "secondary/secondaries.hpp"

#include <sys/stat.h>
#include <utime.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>

#include "base/log.hpp"
#include "wire/types.hpp"
#include "wire/zone_file.hpp"

namespace port53::secondary {
namespace asio = boost::asio;
using wire::Record;

namespace {

// Answers from the copies; a zone without a usable copy (none yet, or expired) answers
// SERVFAIL, as an authority does once it has stopped serving the zone (RFC 1035 §4.3.5).
class SecondarySource final : public engine::AnswerSource {
  public:
    SecondarySource(const Secondaries& zones, const base::Clock& clock)
        : zones_(zones), clock_(clock) {}
    std::string_view name() const override { return "secondary"; }
    base::awaitable<std::optional<engine::Step>> answer(const engine::SourceQuestion& q,
                                                        engine::Budget&) override {
        co_return lookup(q.question);
    }

  private:
    std::optional<engine::Step> lookup(const wire::Question& q) const {
        // Every cache miss passes here: names outside the zones leave before the snapshot
        // (an atomic shared_ptr load) is taken.
        if (!zones_.covers(q.name)) return std::nullopt;
        auto served = zones_.served();
        const ServedZone* best = nullptr;
        for (const auto& z : *served)
            if (q.name.is_subdomain_of(z.apex) &&
                (!best || z.apex.label_count() > best->apex.label_count()))
                best = &z;
        if (!best) return std::nullopt;
        uint32_t now = clock_.unix_now();
        if (!best->copy || now >= best->expires_at) {
            // Authoritative: the zone is ours, and no stale copy may stand in (RFC 8767 is
            // for a resolver's cache, not for an authority past its SOA expire).
            engine::Step s;
            s.kind = engine::Step::Kind::servfail;
            s.authoritative = true;
            s.ede = wire::ede::no_reachable_authority;
            return s;
        }
        auto step = best->copy->lookup(q);
        // No answer outlives the copy: caches (ours too) drop it when the zone expires.
        if (step) {
            for (auto* rs : {&step->records, &step->authority})
                for (auto& r : *rs) r.ttl = std::min(r.ttl, best->expires_at - now);
        }
        return step;
    }
    const Secondaries& zones_;
    const base::Clock& clock_;
};

uint32_t file_mtime(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint32_t>(st.st_mtime) : 0;
}

// Temp file and rename: a crash leaves the old copy or the new one, never half of one.
void write_zone_file(const std::string& path, const wire::Name& apex, const std::string& from,
                     const std::vector<Record>& records) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "; secondary copy of " << apex.to_text() << " from " << from
            << ", written by port53d\n";
        for (const auto& r : records) out << wire::record_to_text(r);
        out.flush();
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path);
}

std::string kind_text(TransferResult::Kind k) {
    return k == TransferResult::Kind::incremental ? "IXFR" : "AXFR";
}

}  // namespace

Secondaries::Secondaries(const std::vector<SecondarySettings>& zones, std::vector<TsigKey> keys,
                         const base::Clock& clock)
    : keys_(std::move(keys)), clock_(clock) {
    for (const auto& s : zones) {
        auto z = std::make_unique<Zone>();
        z->settings = s;
        for (auto& p : z->settings.primaries)
            if (p.addr.port == 0) p.addr.port = 53;
        auto key_name = wire::Name::from_text(s.tsig_key);
        for (const auto& k : keys_)
            if (!s.tsig_key.empty() && key_name && k.name == *key_name) z->key = &k;
        zones_.push_back(std::move(z));
    }
    publish();
}

void Secondaries::load_copies() {
    for (auto& z : zones_) {
        const std::string& path = z->settings.file;
        if (!std::filesystem::exists(path)) continue;
        try {
            auto records = wire::load_zone_records(path);
            const Record* soa = zone_soa(records);
            if (!soa || !(soa->owner == z->settings.zone))
                throw std::runtime_error("no SOA of " + z->settings.zone.to_text());
            auto copy = std::make_shared<local::LocalZones>();
            copy->add_zone_records(records, path);
            z->copy = std::move(copy);
            // The copy was good when the file was last written or confirmed (its mtime).
            z->expires_at = file_mtime(path) + soa_fields(*soa)->expire;
            P53_LOG(info, "secondary " << z->settings.zone.to_text() << ": serial "
                                       << soa_fields(*soa)->serial << " loaded from " << path);
            z->records = std::move(records);
        } catch (const std::exception& e) {
            P53_LOG(warning, "secondary " << z->settings.zone.to_text()
                                          << ": copy on disk not used: " << e.what());
        }
    }
    publish();
}

void Secondaries::start(const asio::any_io_executor& ex) {
    ex_ = ex;
    for (auto& z : zones_) asio::co_spawn(ex, refresh_loop(*z), asio::detached);
}

// A new snapshot: the copies are shared, not rebuilt, so a refresh that only confirms the
// serial costs a few pointers.
void Secondaries::publish() {
    auto next = std::make_shared<ServedZones>();
    for (const auto& z : zones_) next->push_back({z->settings.zone, z->copy, z->expires_at});
    served_.store(std::move(next));
}

bool Secondaries::covers(const wire::Name& name) const {
    for (const auto& z : zones_)
        if (!z->settings.zone.is_root() && name.is_subdomain_of(z->settings.zone)) return true;
    return false;
}

std::optional<wire::Message> Secondaries::ask(const wire::Name& zone,
                                              const wire::Question& q) const {
    auto served = served_.load();
    uint32_t now = clock_.unix_now();
    if (!served) return std::nullopt;
    for (const auto& z : *served) {
        if (!(z.apex == zone)) continue;
        // RFC 8806 §3: a copy past its expire is not used; the zone's servers are asked.
        if (!z.copy || now >= z.expires_at) return std::nullopt;
        auto msg = z.copy->respond(q);
        if (!msg) return std::nullopt;
        // No record outlives the copy (as SecondarySource's answers).
        for (auto* section : {&msg->answer, &msg->authority, &msg->additional})
            for (auto& r : *section) r.ttl = std::min(r.ttl, z.expires_at - now);
        P53_LOG(debug,
                "copy of " << zone.to_text() << " answers " << q.name.to_text() << "/" << q.type);
        return msg;
    }
    return std::nullopt;
}

const ZoneCounters* Secondaries::counters(const wire::Name& zone) const {
    for (const auto& z : zones_)
        if (z->settings.zone == zone) return &z->counters;
    return nullptr;
}

std::unique_ptr<engine::AnswerSource> Secondaries::make_source() const {
    return std::make_unique<SecondarySource>(*this, clock_);
}

Secondaries::Zone* Secondaries::zone_of(const wire::Name& apex) {
    for (auto& z : zones_)
        if (z->settings.zone == apex) return z.get();
    return nullptr;
}

// RFC 1035 §4.3.5: refresh after REFRESH, after a failure retry after RETRY; both bounded.
uint32_t Secondaries::next_wait(const Zone& z, bool ok) const {
    const Record* soa = zone_soa(z.records);
    uint32_t wait = z.settings.min_refresh;
    if (soa) wait = ok ? soa_fields(*soa)->refresh : soa_fields(*soa)->retry;
    return std::clamp(wait, z.settings.min_refresh, z.settings.max_refresh);
}

base::awaitable<void> Secondaries::refresh_loop(Zone& z) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    z.timer = &timer;
    for (;;) {
        z.notified.store(false);
        bool ok = co_await refresh(z);
        if (z.notified.load()) continue;  // a NOTIFY came during the refresh
        timer.expires_after(std::chrono::seconds(next_wait(z, ok)));
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

base::awaitable<bool> Secondaries::refresh(Zone& z) {
    for (const auto& p : z.settings.primaries) {
        bool ok = co_await refresh_from(z, p.addr);
        if (ok) co_return true;
    }
    if (!z.records.empty() && clock_.unix_now() >= z.expires_at)
        P53_LOG(warning, "secondary " << z.settings.zone.to_text()
                                      << ": expired, answering SERVFAIL until a transfer works");
    co_return false;
}

base::awaitable<TransferResult> Secondaries::fetch(Zone& z, TransferRequest req) {
    TransferResult r = co_await transfer(req);
    std::vector<Record> base = z.records;
    if (r.kind == TransferResult::Kind::incremental) {
        if (auto applied = apply_diffs(base, r.diffs)) {
            r.zone = std::move(*applied);
            co_return r;
        }
        P53_LOG(info, "secondary " << z.settings.zone.to_text()
                                   << ": IXFR does not fit our copy, asking for AXFR");
    }
    // A lone SOA to an IXFR: the primary has no history from our serial (RFC 1995 §4).
    if (req.have && (r.kind == TransferResult::Kind::incremental ||
                     r.kind == TransferResult::Kind::up_to_date ||
                     (r.kind == TransferResult::Kind::failed && !r.tsig_failure))) {
        req.have.reset();
        r = co_await transfer(std::move(req));
    }
    co_return r;
}

base::awaitable<bool> Secondaries::refresh_from(Zone& z, const upstream::ServerAddr& primary) {
    const std::string zone = z.settings.zone.to_text();
    TransferRequest req{z.settings.zone, primary, z.key, std::nullopt,
                        std::chrono::seconds(z.settings.transfer_timeout)};
    const Record* soa = zone_soa(z.records);
    TransferResult r = co_await query_soa(req);
    if (r.kind != TransferResult::Kind::failed && soa &&
        !serial_greater(r.serial, soa_fields(*soa)->serial)) {
        // RFC 1035 §4.3.5: the copy is current; expire counts from now.
        z.expires_at = clock_.unix_now() + soa_fields(*soa)->expire;
        ::utime(z.settings.file.c_str(), nullptr);
        publish();
        P53_LOG(debug, "secondary " << zone << ": serial " << r.serial << " is current");
        co_return true;
    }
    if (r.kind != TransferResult::Kind::failed) {
        if (soa) req.have = *soa;
        r = co_await fetch(z, std::move(req));
    }
    if (r.kind == TransferResult::Kind::full || r.kind == TransferResult::Kind::incremental) {
        if (install(z, std::move(r.zone), kind_text(r.kind) + " from " + primary.to_string()))
            co_return true;
        r.why = "the transferred zone is not usable";
    }
    z.counters.transfers_failed.fetch_add(1);
    if (r.tsig_failure) z.counters.tsig_failures.fetch_add(1);
    P53_LOG(info, "secondary " << zone << ": refresh from " << primary.to_string()
                               << " failed: " << r.why << " (failed transfers "
                               << z.counters.transfers_failed.load() << ", TSIG failures "
                               << z.counters.tsig_failures.load() << ")");
    co_return false;
}

bool Secondaries::install(Zone& z, std::vector<Record> records, const std::string& how) {
    const Record* soa = zone_soa(records);
    auto copy = std::make_shared<local::LocalZones>();
    try {
        if (!soa || !(soa->owner == z.settings.zone))
            throw std::runtime_error("no SOA at the apex");
        copy->add_zone_records(records, how);  // throws for data outside the zone
        write_zone_file(z.settings.file, z.settings.zone, how, records);
    } catch (const std::exception& e) {
        P53_LOG(warning, "secondary " << z.settings.zone.to_text() << ": " << e.what());
        return false;
    }
    uint32_t serial = soa_fields(*soa)->serial;
    z.expires_at = clock_.unix_now() + soa_fields(*soa)->expire;
    std::size_t count = records.size();
    z.records = std::move(records);
    z.copy = std::move(copy);
    publish();
    z.counters.transfers_ok.fetch_add(1);
    P53_LOG(info, "secondary " << z.settings.zone.to_text() << ": serial " << serial << " by "
                               << how << ", " << count << " records (transfers "
                               << z.counters.transfers_ok.load() << ")");
    if (on_change_) on_change_();
    return true;
}

}  // namespace port53::secondary
