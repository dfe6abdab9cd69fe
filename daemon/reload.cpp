#include "daemon/reload.hpp"

#include <sched.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.hpp"
#include "daemon/reload_changes.hpp"
#include "server/security_log.hpp"

namespace port53::daemon {
namespace asio = boost::asio;

namespace {

// What load_config leaves to the daemon: the listen addresses as addresses, and the access
// lists of single listen addresses (throw naming the bad one).
void check_addresses(const conf::Config& cfg) {
    conf::listener_access(cfg);
    for (const auto* list :
         {&cfg.server.listen, &cfg.tls.dot_listen, &cfg.tls.doh_listen, &cfg.tls.doh_http_listen})
        for (const auto& a : *list) {
            boost::system::error_code ec;
            asio::ip::make_address(conf::parse_listen_address(a).ip, ec);
            if (ec) throw std::invalid_argument("not a listen address: " + a);
        }
}

// Building a generation takes tens of milliseconds of CPU (the file, local data, engines); on
// cores the workers keep busy it would take their time slices. SCHED_IDLE: it runs only when a
// core has nothing else to do. Best effort: on an error the thread stays as it was.
void yield_to_workers() {
    sched_param none{};
    ::sched_setscheduler(0, SCHED_IDLE, &none);  // 0: this thread
}

std::string joined(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
    return out;
}

}  // namespace

Reloader::Reloader(Parts parts, std::shared_ptr<Generation> first, OnSwap on_swap)
    : parts_(std::move(parts)), on_swap_(std::move(on_swap)), current_(std::move(first)) {}

Reloader::~Reloader() {
    stop();
}

void Reloader::stop() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    if (current_) current_->stop_updates();
    for (auto& r : retired_) r.generation->stop_updates();
}

void Reloader::clear_view_caches() {
    std::lock_guard lock(mutex_);
    current_->clear_view_caches();
}

void Reloader::on_sighup(asio::signal_set& hup) {
    hup.async_wait([this, &hup](boost::system::error_code ec, int) {
        if (ec) return;
        asio::co_spawn(hup.get_executor(), sighup(), asio::detached);
        on_sighup(hup);
    });
}

base::awaitable<void> Reloader::sighup() {
    co_await reload("SIGHUP");  // logs what it did
}

base::awaitable<void> Reloader::off_workers(const std::function<void()>& work) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer done(ex, asio::steady_timer::time_point::max());
    if (thread_.joinable()) thread_.join();
    thread_ = std::thread([&work, &done, ex] {
        yield_to_workers();
        work();
        asio::post(ex, [&done] { done.cancel(); });
    });
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    thread_.join();
}

base::awaitable<std::string> Reloader::reload(const char* why) {
    if (busy_) co_return "error: a reload is already under way\n";
    busy_ = true;
    std::shared_ptr<Generation> next;
    std::string error;
    std::function<void()> build = [&] {
        // What earlier reloads replaced and nothing uses any more goes here, off the workers.
        std::erase_if(retired_, [](const Retired& r) { return r.policy.use_count() == 1; });
        try {
            auto cfg = std::make_shared<const conf::Config>(conf::load_config(parts_.path));
            check_addresses(*cfg);
            // current_ changes only in apply(), after this build (busy_ keeps it so).
            next = std::make_shared<Generation>(std::move(cfg), parts_.lasting, current_.get());
        } catch (const std::exception& e) {
            error = e.what();
        }
    };
    co_await off_workers(build);
    if (!next) {
        busy_ = false;
        P53_LOG(error, why << ": configuration refused, the running one stays: " << error);
        co_return "error: " + error + "\n";
    }
    std::shared_ptr<Generation> old = current_;
    std::string done = apply(next);
    std::size_t forgotten = 0;
    std::function<void()> settle = [&] {
        old->stop_updates();
        forgotten =
            forget_changed_answers(*old, *next, parts_.lasting.answers, parts_.lasting.rrsets);
        const conf::Config& cfg = next->config();
        parts_.lasting.answers.set_capacity((cfg.cache.size_mb << 20) / 2);
        parts_.lasting.rrsets.set_capacity(rrset_cache_bytes(cfg));
    };
    co_await off_workers(settle);
    busy_ = false;
    done += std::to_string(forgotten) + " cached answer(s) forgotten\n";
    P53_LOG(info, why << ": configuration reloaded; " << done);
    co_return "ok\n" + done;
}

std::string Reloader::apply(const std::shared_ptr<Generation>& next) {
    const conf::Config& cfg = next->config();
    std::vector<std::string> fixed = needs_restart(current_->config(), cfg);
    for (const auto& key : fixed)
        P53_LOG(warning, "reload: " << key << " changed: needs a restart (the old value stays)");
    base::set_log_level(cfg.server.log_level);
    server::configure_security_log(cfg.security_log);
    server::Server& server = parts_.server;
    auto old = server.swap_policy(next->policy(next, server.current_policy().get()));
    // A worker may be inside a query with the old policy: once each has passed through its
    // event loop, none is. Resolutions hold it themselves.
    for (std::size_t i = 0; i < parts_.workers.size(); ++i)
        asio::post(parts_.workers.worker(i), [old] {});
    {
        std::lock_guard lock(mutex_);
        retired_.push_back({std::move(old), current_});
        current_ = next;
    }
    next->start(parts_.workers.front().get_executor(), parts_.lasting.answers, false);
    on_swap_(*next);
    auto [opened, closed] = parts_.workers.update_listeners(cfg, server, parts_.tls);
    reload_tls(parts_.tls, "reload");
    std::string out =
        std::to_string(opened) + " address(es) opened, " + std::to_string(closed) + " closed\n";
    if (!fixed.empty()) out += "needs a restart (old value kept): " + joined(fixed) + "\n";
    return out;
}

}  // namespace port53::daemon
