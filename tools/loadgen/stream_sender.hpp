// One TCP or DoT sender thread: its share of the connections, each with many queries in
// flight (pipelining, RFC 7766 §6.2.1.1) in 2-byte length framing (RFC 1035 §4.2.2),
// several queries per write (and so per TLS record); connections that close are reopened
// while there is more to send, resuming the TLS session.
#pragma once
#include "tools/loadgen/load.hpp"
#include "tools/loadgen/query_file.hpp"
#include "tools/loadgen/stats.hpp"

namespace port53::loadgen {

class TlsClient;

// `tls`: nullptr for plain TCP.
Stats run_stream_sender(const Config& cfg, const QuerySet& queries, QueryFeed& feed,
                        unsigned connections, TlsClient* tls, uint64_t start_ns, unsigned index);

}  // namespace port53::loadgen
