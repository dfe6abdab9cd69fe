#include "daemon/list_updates.hpp"

#include <arpa/inet.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <future>

#include "base/log.hpp"
#include "filter/policies.hpp"
#include "wire/types.hpp"

namespace port53::daemon {
namespace asio = boost::asio;

namespace {

using Addresses = std::vector<std::string>;

// `keep`: a download gives up on its lookup when cancelled (below), and a reload then stops
// the updater and may free the generation owning `engine` while this coroutine still runs on
// the worker; held here, the engine lives until the lookup ends.
base::awaitable<void> lookup(engine::Engine& engine, wire::Name name,
                             std::shared_ptr<std::promise<Addresses>> done, KeepAlive keep) {
    Addresses out;
    for (uint16_t type : {wire::type::A, wire::type::AAAA}) {
        wire::Question q{name, type, wire::cls::IN};  // named: see base/coro.hpp (g++ 12)
        engine::Outcome o = co_await engine.resolve(std::move(q));
        for (const auto& r : o.answer) {
            char text[INET6_ADDRSTRLEN];
            int af = r.type == wire::type::A ? AF_INET : AF_INET6;
            if (r.type == type && r.rdata.size() == (af == AF_INET ? 4u : 16u) &&
                inet_ntop(af, r.rdata.data(), text, sizeof text))
                out.emplace_back(text);
        }
    }
    done->set_value(std::move(out));
}

// The host's addresses as port53d itself resolves them (never the system resolver).
Addresses resolve_host(engine::Engine& engine, const asio::any_io_executor& ex,
                       const std::string& host, const std::function<bool()>& cancelled,
                       const KeepAlive& keep) {
    auto name = wire::Name::from_text(host);
    if (!name) return {};
    auto done = std::make_shared<std::promise<Addresses>>();
    std::future<Addresses> result = done->get_future();
    asio::co_spawn(ex, lookup(engine, std::move(*name), done, keep), asio::detached);
    // The engine bounds a question's time; shutting down must not wait for it.
    for (int i = 0; i < 300; ++i) {
        if (result.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready)
            return result.get();
        if (cancelled()) break;
    }
    return {};
}

}  // namespace

base::awaitable<void> prime_root(engine::Engine& engine, KeepAlive keep) {
    co_await engine.prime_at_start();
    keep.reset();  // the generation may go now
}

std::unique_ptr<filter::ListUpdater> start_list_updates(
    filter::BlockSource& source, const filter::BlockSettings& settings, engine::Engine& engine,
    cache::AnswerCache& answers, const asio::any_io_executor& ex, std::weak_ptr<const void> owner) {
    std::string ca_file = settings.ca_file;
    auto fetch = [&engine, ex, ca_file, owner = std::move(owner)](
                     const std::string& url, const std::function<bool()>& cancelled) {
        filter::DownloadOptions o;
        o.ca_file = ca_file;
        o.cancelled = cancelled;
        o.resolve = [&engine, ex, cancelled, &owner](const std::string& host) {
            // The owner is freed only after this updater was stopped (joined): alive here.
            KeepAlive keep = owner.lock();
            if (!keep) return Addresses{};
            return resolve_host(engine, ex, host, cancelled, keep);
        };
        return filter::https_get(url, o);
    };
    auto replaced = [&answers](const filter::Policies& before, const filter::Policies& after) {
        std::size_t n = answers.forget_names([&](std::string_view name) {
            return before.speak_about(name) || after.speak_about(name);
        });
        P53_LOG(info, "blocklists reloaded: " << after.lists.entries() << " names; " << n
                                              << " cached answer(s) about listed names forgotten");
    };
    auto updater = std::make_unique<filter::ListUpdater>(source, settings, std::move(fetch),
                                                         std::move(replaced));
    updater->start();
    return updater;
}

}  // namespace port53::daemon
