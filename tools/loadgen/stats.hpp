// What one sender thread counts; merged at the end into the dnsperf-style report.
#pragma once
#include <array>
#include <cstdint>
#include <ostream>

#include "tools/loadgen/histogram.hpp"

namespace port53::loadgen {

struct Stats {
    uint64_t sent = 0;
    uint64_t completed = 0;
    uint64_t lost = 0;         // timed out, or never answered by the end
    uint64_t mismatched = 0;   // an ID in flight but another question: ignored
    uint64_t stray = 0;        // an ID not in flight (late after its timeout), or no response
    uint64_t truncated = 0;    // TC set (UDP)
    uint64_t send_errors = 0;  // sends the kernel refused (other than "try again")
    uint64_t request_bytes = 0;
    uint64_t response_bytes = 0;
    uint64_t connections = 0;        // TCP/DoT connections opened
    uint64_t tls_resumed = 0;        // of them, TLS sessions resumed (RFC 8446 §2.2)
    uint64_t connection_errors = 0;  // closed by the server, or a failed connect/handshake
    std::array<uint64_t, 16> rcodes{};
    Histogram latency;

    void merge(const Stats& o);
};

struct RunInfo {
    const char* transport = "udp";
    double seconds = 0;  // from the first send to the last answer or timeout
    double cpu_user_s = 0;
    double cpu_system_s = 0;
    unsigned threads = 1;
};

// The report, in dnsperf's wording where dnsperf has the same figure (tools/bench/bench.py
// parses both), then what dnsperf lacks: percentiles, TLS resumption, own CPU.
void print_report(std::ostream& os, const Stats& s, const RunInfo& info);

}  // namespace port53::loadgen
