#include "daemon/trust_anchor_upkeep.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "base/log.hpp"
#include "dnssec/anchor_state.hpp"
#include "wire/types.hpp"

namespace port53::daemon {
namespace asio = boost::asio;

namespace {

std::string utc(uint32_t unix_seconds) {
    std::time_t t = unix_seconds;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string in(uint32_t at, uint32_t now) {
    return at > now ? "in " + std::to_string(at - now) + " s" : "due";
}

// Temp file, fsync, rename, fsync of the directory: a crash leaves the old state or the new
// one, never half of one.
bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = tmp + ": " + std::strerror(errno);
        return false;
    }
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        error = path + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    }
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    if (int d = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d >= 0) {
        ::fsync(d);
        ::close(d);
    }
    return true;
}

std::string describe(const std::vector<dnssec::TrackedKey>& keys) {
    std::string out;
    for (const auto& k : keys)
        out += (out.empty() ? "" : ", ") + std::to_string(k.tag()) + " " +
               std::string(dnssec::state_name(k.state));
    return out.empty() ? "no keys" : out;
}

}  // namespace

TrustAnchorUpkeep::TrustAnchorUpkeep(std::string path, const dnssec::TrustAnchors& configured,
                                     dnssec::HoldDowns holddowns, const dnssec::Limits& limits,
                                     const base::Clock& clock)
    : path_(std::move(path)),
      limits_(limits),
      clock_(clock),
      tracker_(configured.zones().front(), *configured.anchor_for(configured.zones().front()),
               holddowns) {
    load();
    live_ = std::make_shared<dnssec::LiveAnchor>(tracker_.zone(), tracker_.anchors());
}

void TrustAnchorUpkeep::load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        P53_LOG(info, "trust-anchor state " << path_ << " not found: starting from the "
                                            << "configured anchor of "
                                            << tracker_.zone().to_text());
        return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string error;
    auto state = dnssec::parse_anchor_state(text.str(), error);
    if (state && !(state->zone == tracker_.zone()))
        error = "it tracks " + state->zone.to_text() + ", not " + tracker_.zone().to_text();
    if (!state || !error.empty()) {
        P53_LOG(warning, "trust-anchor state " << path_ << ":" << error
                                               << "; ignored, using the configured anchor");
        return;
    }
    tracker_.restore(std::move(state->keys));
    if (tracker_.anchors().empty()) {
        P53_LOG(warning, "trust-anchor state " << path_ << ": no trusted key left; using the "
                                               << "configured anchor");
        tracker_.restore({});
    }
    P53_LOG(info, "trust-anchor state " << path_ << ": " << describe(tracker_.keys()));
}

void TrustAnchorUpkeep::start(engine::Engine& engine, const asio::any_io_executor& ex) {
    asio::co_spawn(ex, run(engine), asio::detached);
}

base::awaitable<void> TrustAnchorUpkeep::run(engine::Engine& engine) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        // Unvalidated: the tracker checks the set against the keys it trusts itself (§2.3),
        // and must see every signature over it (§2.1: a revoked key's own).
        wire::Question q{tracker_.zone(), wire::type::DNSKEY, wire::cls::IN};  // named: coro.hpp
        std::vector<wire::Record> answer = co_await engine.ask_unvalidated(std::move(q));
        uint32_t wait = refresh(answer);
        timer.expires_after(std::chrono::seconds(wait));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

uint32_t TrustAnchorUpkeep::refresh(const std::vector<wire::Record>& answer) {
    uint32_t now = clock_.unix_now();
    std::lock_guard lock(mutex_);
    std::string before = describe(tracker_.keys());
    auto seen = tracker_.observe(answer, now, limits_);
    next_refresh_ = now + seen.next_refresh;
    last_refresh_ = utc(now) + (seen.accepted ? " accepted" : " not accepted: " + seen.why);
    if (!seen.accepted)
        P53_LOG(warning,
                "trust-anchor refresh of " << tracker_.zone().to_text() << ": " << seen.why);
    if (seen.changed) {
        P53_LOG(info, "trust anchors of " << tracker_.zone().to_text() << ": " << before << " -> "
                                          << describe(tracker_.keys()));
        publish_and_save();
    }
    return seen.next_refresh;
}

void TrustAnchorUpkeep::publish_and_save() {
    auto anchors = tracker_.anchors();
    // Never an empty anchor (it would read as "unsigned"): with every key revoked the old
    // records stay, and the revoked keys no longer match them, so the zone is bogus.
    if (anchors.empty())
        P53_LOG(error, "every trusted key of " << tracker_.zone().to_text() << " is gone");
    else
        live_->set(std::move(anchors));
    std::string error;
    if (!write_atomically(path_, dnssec::format_anchor_state(tracker_.zone(), tracker_.keys()),
                          error))
        P53_LOG(error, "trust-anchor state not saved: " << error);
}

std::string TrustAnchorUpkeep::report() const {
    uint32_t now = clock_.unix_now();
    std::lock_guard lock(mutex_);
    std::ostringstream out;
    out << "zone " << tracker_.zone().to_text() << "\n";
    out << "state-file " << path_ << "\n";
    out << "last-refresh " << last_refresh_ << "\n";
    if (next_refresh_)
        out << "next-refresh " << utc(next_refresh_) << " (" << in(next_refresh_, now) << ")\n";
    if (tracker_.keys().empty()) out << "keys: none learned yet (the configured anchor holds)\n";
    for (const auto& k : tracker_.keys()) {
        out << "key " << k.tag() << " alg " << int{k.algorithm()} << " "
            << dnssec::state_name(k.state) << " since " << utc(k.since);
        if (auto at = tracker_.next_change(k)) {
            const char* next = k.state == dnssec::KeyState::add_pend ? "valid" : "removed";
            out << " next " << next << " at " << utc(*at) << " (" << in(*at, now) << ")";
        }
        out << "\n";
    }
    return out.str();
}

std::unique_ptr<TrustAnchorUpkeep> make_trust_anchor_upkeep(const conf::Config& cfg,
                                                            const base::Clock& clock) {
    const auto& r = cfg.resolver;
    if (r.trust_anchor_state.empty()) return nullptr;
    auto configured = r.trust_anchor.empty() ? dnssec::TrustAnchors::builtin()
                                             : dnssec::TrustAnchors::load(r.trust_anchor);
    return std::make_unique<TrustAnchorUpkeep>(
        r.trust_anchor_state, configured, r.trust_anchor_holddowns, r.engine.dnssec_limits, clock);
}

}  // namespace port53::daemon
