// Settings of the query log (server/query_log.hpp) and the security-event log
// (server/security_log.hpp) and dnstap (server/dnstap.hpp): [query_log], [security_log] and
// [dnstap] of port53d's configuration.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace port53::server {

struct QueryLogSettings {
    std::string file;               // "": off; "-": standard output (journald); else appended to
    int anonymise_v4_prefix = 32;   // client addresses cut to this many bits (32: whole)
    int anonymise_v6_prefix = 128;  // (128: whole)
    std::size_t buffer_kb = 1024;   // per worker; lines beyond it are dropped and counted
};

struct DnstapSettings {
    std::string socket;        // Frame Streams over this Unix socket; "": off
    bool client = true;        // CLIENT_QUERY and CLIENT_RESPONSE
    bool resolver = true;      // RESOLVER_QUERY and RESOLVER_RESPONSE
    std::string identity;      // the Dnstap identity field; "": none
    std::size_t queue = 4096;  // messages waiting per worker (a power of two); beyond: dropped
};

struct SecurityLogSettings {
    uint32_t per_second = 5;  // lines per event kind, second and worker; 0: none
};

}  // namespace port53::server
