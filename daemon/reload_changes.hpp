// What a reload (daemon/reload.hpp) compares between the running configuration and the new
// one: the settings it cannot apply without a restart, and the cached answers that came from
// answer sources the new file changes.
#pragma once
#include <string>
#include <vector>

#include "cache/answer_cache.hpp"
#include "cache/rrset_cache.hpp"
#include "conf/config.hpp"
#include "daemon/generation.hpp"

namespace port53::daemon {

// The settings that differ but keep their old value until a restart (the worker count, the
// user, the control socket, outgoing addresses, secondary zones, ...), by their key.
std::vector<std::string> needs_restart(const conf::Config& old, const conf::Config& next);

// Forgets the answers the new generation may give otherwise: those of names the old or new
// local data, blocklists, or forward and stub zones that changed speak about (answers and
// RRsets for the zones, whose data came from other servers). When the views changed at all
// (the answer cache is partitioned by view number) the answer cache is emptied instead.
// Returns how many answer-cache entries went.
std::size_t forget_changed_answers(const Generation& old, const Generation& next,
                                   cache::AnswerCache& answers, cache::RRsetCache& rrsets);

}  // namespace port53::daemon
