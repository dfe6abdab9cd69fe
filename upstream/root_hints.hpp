// Root server hints: the built-in IANA set, or a zone-format file (named.root layout).
#pragma once
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::upstream {

struct RootHints {
    std::vector<wire::Record> ns;     // ". NS x.root-servers.net."
    std::vector<wire::Record> addrs;  // A/AAAA of those names
};

// Built-in: the IANA root hints (what users get without a hints file).
RootHints builtin_root_hints();
// Parses a hints file with ldns; throws std::runtime_error("file:line: ...") on errors.
RootHints load_root_hints(const std::string& path);

}  // namespace port53::upstream
