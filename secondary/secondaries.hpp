// The secondary zones this resolver holds copies of (RFC 5936, RFC 1995, RFC 1996): each is
// loaded from its file at start (answered at once), refreshed from its primaries by the SOA's
// timers and on NOTIFY, written back to its file after each transfer, and answered
// authoritatively until the SOA's expire passes without a successful refresh.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.hpp"
#include "base/coro.hpp"
#include "engine/answer_source.hpp"
#include "engine/zone_copies.hpp"
#include "local/local_zones.hpp"
#include "secondary/secondary_config.hpp"
#include "secondary/transfer.hpp"

namespace port53::secondary {

// Per zone, for the log and the statistics (issue 12).
struct ZoneCounters {
    std::atomic<uint64_t> transfers_ok{0}, transfers_failed{0}, tsig_failures{0},
        notify_accepted{0}, notify_refused{0};
};

// What is answered: each zone's copy (built once per transfer, shared by the snapshots
// that follow) and until when it may be answered (Unix seconds; 0: no copy yet).
struct ServedZone {
    wire::Name apex;
    std::shared_ptr<const local::LocalZones> copy;  // null: no copy yet
    uint32_t expires_at = 0;
};
using ServedZones = std::vector<ServedZone>;

class Secondaries final : public engine::ZoneCopies {
  public:
    Secondaries(const std::vector<SecondarySettings>& zones, std::vector<TsigKey> keys,
                const base::Clock& clock);
    Secondaries(const Secondaries&) = delete;
    Secondaries& operator=(const Secondaries&) = delete;

    // Reads each zone's file, if there is one, so it is answered from the start.
    void load_copies();
    // Starts one refresh loop per zone on `ex` (all of them there: a zone's state is only
    // touched on it). The loops live as long as `ex`'s io_context.
    void start(const boost::asio::any_io_executor& ex);
    // Called after a transfer changed a zone (the daemon drops cached answers).
    void on_change(std::function<void()> f) { on_change_ = std::move(f); }

    // A NOTIFY (RFC 1996) from `client`: the reply written to `out` (its length), 0 to drop.
    // Any worker thread.
    std::size_t notify(std::span<const uint8_t> query, const sockaddr* client,
                       std::span<uint8_t> out);

    std::shared_ptr<const ServedZones> served() const { return served_.load(); }
    // `name` is in one of the zones answered to clients (the set of zones is fixed: any
    // thread). A copy of the root zone is not one: it stands in for the root servers
    // (RFC 8806), so its answers are iterated from and validated like theirs.
    bool covers(const wire::Name& name) const;
    // The engine asking `zone`'s servers: the copy answers instead, while it is usable.
    std::optional<wire::Message> ask(const wire::Name& zone,
                                     const wire::Question& q) const override;
    const ZoneCounters* counters(const wire::Name& zone) const;
    std::unique_ptr<engine::AnswerSource> make_source() const;

  private:
    struct Zone {
        SecondarySettings settings;
        const TsigKey* key = nullptr;
        std::vector<wire::Record> records;  // empty: no copy
        std::shared_ptr<const local::LocalZones> copy;
        uint32_t expires_at = 0;  // Unix seconds
        ZoneCounters counters;
        // The refresh loop's timer, in its coroutine frame (destroyed with the io_context,
        // before this object); touched only on that executor.
        boost::asio::steady_timer* timer = nullptr;
        std::atomic<bool> notified{false};
    };
    base::awaitable<void> refresh_loop(Zone& z);
    base::awaitable<bool> refresh(Zone& z);
    base::awaitable<bool> refresh_from(Zone& z, const upstream::ServerAddr& primary);
    base::awaitable<TransferResult> fetch(Zone& z, TransferRequest req);
    bool install(Zone& z, std::vector<wire::Record> records, const std::string& how);
    void publish();
    uint32_t next_wait(const Zone& z, bool ok) const;
    Zone* zone_of(const wire::Name& apex);
    std::size_t notify_reply(std::span<const uint8_t> query, const wire::Message& m, Zone* z,
                             uint16_t rcode, const std::string& request_mac,
                             std::span<uint8_t> out) const;

    std::vector<TsigKey> keys_;
    std::vector<std::unique_ptr<Zone>> zones_;
    const base::Clock& clock_;
    std::optional<boost::asio::any_io_executor> ex_;
    std::function<void()> on_change_;
    std::atomic<std::shared_ptr<const ServedZones>> served_;
};

}  // namespace port53::secondary
