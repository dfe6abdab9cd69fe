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
    std::vector<std::string> urls;         // lists downloaded over HTTPS, any of the formats
    std::vector<std::string> allow_urls;   // downloaded allowlists
    std::vector<std::string> block;        // names blocked with everything below them
    std::vector<std::string> allow;        // names never blocked, with everything below them
    std::string answer = "nxdomain";       // BlockAnswer::parse
    uint32_t ttl = 60;                     // of blocked answers: short, so unblocking is quick
    uint32_t url_refresh = 86'400;         // seconds between downloads of a URL's list
    uint32_t watch_interval = 10;          // seconds between looks at the files; 0: never
    std::string download_dir = "/var/lib/port53/lists";  // last good copy of each URL's list
    std::string ca_file;  // CAs for the downloads; empty: the system's

    bool empty() const {
        return files.empty() && block.empty() && rpz_files.empty() && urls.empty();
    }
    bool operator==(const BlockSettings&) const = default;
};

// nullptr when nothing is listed. Throws std::runtime_error for an unreadable file, a bad
// name or answer (the config check has refused the latter two already). Lists change later
// only through a ListUpdater.
std::unique_ptr<BlockSource> make_block_source(const BlockSettings& s);

}  // namespace port53::filter
