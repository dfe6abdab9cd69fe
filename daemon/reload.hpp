// Reload without an outage (issue 12): SIGHUP and `port53-ctl reload` read the configuration
// file again. On a thread of its own the file is parsed and checked (a bad one is refused
// with its file:line, and the old settings stay) and a new Generation is built (engines,
// local data, blocklists, views: daemon/generation.hpp). Then, on worker 0, at once: the
// server's policy is swapped (one pointer the workers load per query: server/policy.hpp),
// the log level set, listeners opened and closed, the TLS certificate reloaded. Back on a
// thread, cached answers from sources that changed are forgotten and the caches take their
// new bound. What lasts (the caches, the infra table, open connections) is not touched;
// settings that cannot change while running are logged as needing a restart.
#pragma once
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/coro.hpp"
#include "daemon/generation.hpp"
#include "daemon/tls_setup.hpp"
#include "daemon/workers.hpp"
#include "server/server.hpp"

namespace port53::daemon {

class Reloader {
  public:
    struct Parts {
        std::string path;  // the configuration file
        server::Server& server;
        Workers& workers;
        TlsContexts& tls;
        Lasting lasting;
    };
    // What the operator's endpoints must learn of a new generation (its blocklist, its views'
    // caches); called on worker 0.
    using OnSwap = std::function<void(const Generation&)>;

    // `first`: the generation the daemon started with, already the server's.
    Reloader(Parts parts, std::shared_ptr<Generation> first, OnSwap on_swap);
    ~Reloader();
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    // SIGHUP, on `hup`'s worker (worker 0): reload, logged.
    void on_sighup(boost::asio::signal_set& hup);
    // On worker 0. The reply for port53-ctl: "ok\n" and what changed, or "error: why\n".
    // `why` names the trigger in the log.
    base::awaitable<std::string> reload(const char* why);
    // The unwanted-reply threshold (any thread): the current views' own caches too.
    void clear_view_caches();
    // After the workers stopped and before they are destroyed: waits for a build in progress
    // and stops every generation's list updates.
    void stop();

  private:
    // Runs `work` on a thread of its own; resumes on the caller's worker when it is done.
    base::awaitable<void> off_workers(const std::function<void()>& work);
    base::awaitable<void> sighup();
    // The swap, on worker 0; returns what it did, for the reply.
    std::string apply(const std::shared_ptr<Generation>& next);

    Parts parts_;
    OnSwap on_swap_;
    std::mutex mutex_;  // current_, for clear_view_caches()
    std::shared_ptr<Generation> current_;
    // Policies replaced by reloads, each with its generation, until nothing but this list
    // holds them (dropped at the next reload, off the workers).
    struct Retired {
        std::shared_ptr<const server::Policy> policy;
        std::shared_ptr<Generation> generation;
    };
    std::vector<Retired> retired_;
    bool busy_ = false;  // a reload is under way (worker 0 only)
    std::thread thread_;
};

}  // namespace port53::daemon
