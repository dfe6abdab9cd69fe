// Wires a BlockSource's ListUpdater into the daemon: downloads resolve their host through
// port53d's own engine, and after each reload the cached answers to names the old or the new
// lists speak about are forgotten (the rest of the cache stays).
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "cache/answer_cache.hpp"
#include "engine/engine.hpp"
#include "filter/block_source.hpp"
#include "filter/list_updater.hpp"

namespace port53::daemon {

// Started; stops when destroyed. `ex`: a worker's, where the host lookups run.
std::unique_ptr<filter::ListUpdater> start_list_updates(filter::BlockSource& source,
                                                        const filter::BlockSettings& settings,
                                                        engine::Engine& engine,
                                                        cache::AnswerCache& answers,
                                                        const boost::asio::any_io_executor& ex);

}  // namespace port53::daemon
