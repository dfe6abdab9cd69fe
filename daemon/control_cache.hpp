// The cache's side of port53-ctl (dump-cache FILE, load-cache FILE, lookup NAME, flush-bogus)
// and the cache file of [cache] file, read at start and written at shutdown.
#pragma once
#include <string>

#include "daemon/control_commands.hpp"

namespace port53::daemon {

std::string dump_cache_command(const std::string& path, ControlTargets& t);
std::string load_cache_command(const std::string& path, ControlTargets& t);
std::string lookup_command(const std::string& name, ControlTargets& t);
std::string flush_bogus_command(ControlTargets& t);

// [cache] file: both do nothing when it is empty, and only log what went wrong (a missing,
// damaged or foreign file is ignored with a warning: the caches start empty).
void load_cache_file(const std::string& path, ControlTargets& t);
void dump_cache_file(const std::string& path, ControlTargets& t);

}  // namespace port53::daemon
