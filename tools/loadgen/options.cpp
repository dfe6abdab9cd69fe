#include "tools/loadgen/options.hpp"

#include <arpa/inet.h>
#include <getopt.h>

#include <cstdlib>
#include <cstring>

namespace port53::loadgen {

namespace {

bool parse_address(const std::string& text, uint16_t port, sockaddr_storage& out, socklen_t& len) {
    out = {};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
    if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof(sockaddr_in);
        return true;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
    if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

bool number(const char* text, double lo, double hi, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == '\0' && out >= lo && out <= hi;
}

struct Raw {
    std::string server = "127.0.0.1";
    std::string local;
    double port = -1;
    std::string mode = "udp";
};

bool apply(int c, const char* arg, Options& o, Raw& raw, std::string& error) {
    double v = 0;
    auto num = [&](double lo, double hi) {
        if (number(arg, lo, hi, v)) return true;
        error = std::string("bad value for -") + static_cast<char>(c) + ": " + arg;
        return false;
    };
    switch (c) {
        case 's':
            raw.server = arg;
            return true;
        case 'a':
            raw.local = arg;
            return true;
        case 'p':
            return num(1, 65535) && ((raw.port = v), true);
        case 'm':
            raw.mode = arg;
            return true;
        case 'd':
            o.query_file = arg;
            return true;
        case 'c':
            return num(1, 65536) && ((o.cfg.clients = static_cast<unsigned>(v)), true);
        case 'T':
            return num(1, 1024) && ((o.cfg.threads = static_cast<unsigned>(v)), true);
        case 'q':
            return num(1, 65535) && ((o.cfg.outstanding = static_cast<unsigned>(v)), true);
        case 'Q':
            return num(0, 1e9) && ((o.cfg.rate = static_cast<uint64_t>(v)), true);
        case 'l':
            return num(0, 1e6) && ((o.cfg.seconds = v), true);
        case 'n':
            return num(0, 1e12) && ((o.cfg.passes = static_cast<uint64_t>(v)), true);
        case 't':
            return num(0.001, 3600) && ((o.cfg.timeout_ns = static_cast<uint64_t>(v * 1e9)), true);
        case 'e':
            o.query.edns = true;
            return true;
        case 'D':
            o.query.dnssec_ok = true;
            return true;
        case 'C':
            o.cfg.ca_file = arg;
            return true;
        case 'S':
            o.cfg.sni = arg;
            return true;
        case 'h':
            o.help = true;
            return true;
        default:
            error = "unknown option (see -h)";
            return false;
    }
}

bool finish(Options& o, const Raw& raw, std::string& error) {
    if (raw.mode == "udp") {
        o.cfg.transport = Transport::udp;
    } else if (raw.mode == "tcp") {
        o.cfg.transport = Transport::tcp;
    } else if (raw.mode == "dot") {
        o.cfg.transport = Transport::dot;
    } else {
        error = "-m wants udp, tcp or dot";
        return false;
    }
    uint16_t port = raw.port > 0 ? static_cast<uint16_t>(raw.port)
                                 : (o.cfg.transport == Transport::dot ? 853 : 53);
    if (!parse_address(raw.server, port, o.cfg.server, o.cfg.server_len)) {
        error = "-s wants an IPv4 or IPv6 address: " + raw.server;
        return false;
    }
    if (!raw.local.empty() && !parse_address(raw.local, 0, o.cfg.local, o.cfg.local_len)) {
        error = "-a wants an IPv4 or IPv6 address: " + raw.local;
        return false;
    }
    if (o.query_file.empty()) {
        error = "no query file (-d)";
        return false;
    }
    // A load without an end is refused: a forgotten bound must not load a machine for hours.
    if (o.cfg.seconds <= 0 && o.cfg.passes == 0) {
        error = "no bound: give -l SECONDS and/or -n PASSES";
        return false;
    }
    if (o.cfg.threads > o.cfg.clients) o.cfg.threads = o.cfg.clients;
    return true;
}

}  // namespace

const char* usage_text() {
    return R"(Usage: port53-load -d FILE [-s ADDR] [-p PORT] [-m udp|tcp|dot] [-c N] [-T N]
                   [-q N] [-Q QPS] [-l SECONDS] [-n PASSES] [-t SECONDS] [-e] [-D]
                   [-a LOCAL-ADDR] [--ca FILE] [--sni NAME]
A DNS load generator (dnsperf's query file and report): as fast as possible with -q
queries outstanding per socket or connection, or at a fixed rate (-Q), until -l seconds
and/or -n passes over the file are done (one of them is required).
  -d FILE     query file, "name type" per line (# comments)
  -s ADDR     server address (default 127.0.0.1); -p PORT (default 53, DoT 853)
  -m MODE     udp (default), tcp or dot (pipelined, RFC 7766 §6.2.1.1)
  -c N        sockets (UDP) or connections (TCP, DoT), default 16
  -T N        threads, one per core meant (default 1)
  -q N        queries outstanding per socket or connection (default 100)
  -Q QPS      fixed total rate; default: as fast as -q allows
  -l SECONDS  time bound; -n PASSES: passes over the file
  -t SECONDS  a query unanswered this long is lost (default 5)
  -e, -D      add EDNS0 (UDP size 1232); -D also sets DO
  -a ADDR     local address to send from
  --ca FILE   DoT: verify the server's certificate against FILE (default: no check)
  --sni NAME  DoT: server name to send (and verify with --ca)
)";
}

bool parse_options(int argc, char** argv, Options& out, std::string& error) {
    static const option longs[] = {{"ca", required_argument, nullptr, 'C'},
                                   {"sni", required_argument, nullptr, 'S'},
                                   {"help", no_argument, nullptr, 'h'},
                                   {nullptr, 0, nullptr, 0}};
    Raw raw;
    optind = 1;
    int c = 0;
    while ((c = getopt_long(argc, argv, "s:a:p:m:d:c:T:q:Q:l:n:t:eDh", longs, nullptr)) != -1) {
        if (!apply(c, optarg, out, raw, error)) return false;
    }
    if (optind < argc) {
        error = std::string("unexpected argument: ") + argv[optind];
        return false;
    }
    if (out.help) return true;
    return finish(out, raw, error);
}

}  // namespace port53::loadgen
