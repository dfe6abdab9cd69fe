// Wires a BlockSource's ListUpdater into the daemon: downloads resolve their host through
// port53d's own engine, and after each reload the cached answers to names the old or the new
// lists speak about are forgotten (the rest of the cache stays).
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "base/coro.hpp"
#include "cache/answer_cache.hpp"
#include "engine/engine.hpp"
#include "filter/block_source.hpp"
#include "filter/list_updater.hpp"

namespace port53::daemon {

// What owns an engine (its generation, daemon/generation.hpp), held by a coroutine that uses
// the engine on a worker after the code that started it may have gone.
using KeepAlive = std::shared_ptr<const void>;

// engine.prime_at_start() (RFC 8109 §3) holding `keep`, the engine's owner: a reload may let
// go of the generation before the priming, detached on a worker, ends.
base::awaitable<void> prime_root(engine::Engine& engine, KeepAlive keep);

// Started; stops when destroyed. `ex`: a worker's, where the host lookups run; each holds
// `owner` (of `engine`; weak here, as the owner holds the updater) until it ends.
std::unique_ptr<filter::ListUpdater> start_list_updates(filter::BlockSource& source,
                                                        const filter::BlockSettings& settings,
                                                        engine::Engine& engine,
                                                        cache::AnswerCache& answers,
                                                        const boost::asio::any_io_executor& ex,
                                                        std::weak_ptr<const void> owner);

}  // namespace port53::daemon
