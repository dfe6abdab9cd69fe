// Blocklists as the operator configures them (the [blocklist] section) and the function that
// loads them into an answer source.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "filter/block_source.hpp"

namespace port53::filter {

struct BlockSettings {
    std::vector<std::string> files;        // hosts, domain-list or adblock files
    std::vector<std::string> allow_files;  // every entry an exception
    std::vector<std::string> rpz_files;    // Response Policy Zones, QNAME triggers
    std::vector<std::string> block;        // names blocked with everything below them
    std::vector<std::string> allow;        // names never blocked, with everything below them
    std::string answer = "nxdomain";       // BlockAnswer::parse
    uint32_t ttl = 60;                     // of blocked answers: short, so unblocking is quick
};

// nullptr when nothing is listed. Throws std::runtime_error for an unreadable file, a bad
// name or answer (the config check has refused the latter two already).
std::unique_ptr<BlockSource> make_block_source(const BlockSettings& s);

}  // namespace port53::filter
