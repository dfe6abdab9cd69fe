// port53-ctl: sends one command to a running port53d over its control socket
// ([control] socket), or over TLS with a client certificate ([control] tls_listen,
// daemon/ctl_tls.hpp), and prints the answer. Exit status: 0 ok, 1 the daemon refused the
// command, 2 usage or no daemon to talk to.
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "conf/config.hpp"
#include "daemon/ctl_tls.hpp"

namespace {

constexpr const char* kDefaultConfig = "/etc/port53/port53d.toml";

void usage() {
    std::fputs(
        "usage: port53-ctl [-c CONFIG | -s SOCKET] COMMAND [ARG]\n"
        "       port53-ctl -s IP@PORT --cert CERT --key KEY --ca CA COMMAND [ARG]\n"
        "  -c CONFIG  read [control] socket from CONFIG (default /etc/port53/port53d.toml)\n"
        "  -s SOCKET  talk to this socket\n"
        "  -s IP@PORT talk TLS to [control] tls_listen, with this client certificate and key,\n"
        "             the server's certificate signed by CA and naming IP\n"
        "commands: status, stats [--json], infra, list-inflight, flush NAME, flush-zone ZONE,\n"
        "  flush-all, flush-bogus, dump-cache FILE, load-cache FILE, lookup NAME,\n"
        "  log-level LEVEL, reopen-logs, trust-anchors, reload, help\n",
        stderr);
}

// The daemon's whole answer, or an error message starting "port53-ctl:".
std::string exchange(const std::string& path, const std::string& line, bool& reached) {
    reached = false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return "port53-ctl: socket path too long: " + path;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::string why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return "port53-ctl: " + path + ": " + why + " (is port53d running with [control] socket?)";
    }
    std::string msg = line + "\n", reply;
    bool sent = ::write(fd, msg.data(), msg.size()) == static_cast<ssize_t>(msg.size());
    char buf[4096];
    for (ssize_t n; sent && (n = ::read(fd, buf, sizeof buf)) > 0;) reply.append(buf, n);
    ::close(fd);
    reached = sent && !reply.empty();
    return reached ? reply : "port53-ctl: " + path + ": no answer";
}

// The line to send and how: over TLS when -s is IP@PORT (all three of --cert, --key and
// --ca then needed), else over the Unix socket.
struct Way {
    std::string socket;
    port53::ctl::TlsTarget tls;
    bool use_tls = false;
};

std::string send(const Way& way, const std::string& line, bool& reached) {
    return way.use_tls ? port53::ctl::tls_exchange(way.tls, line, reached)
                       : exchange(way.socket, line, reached);
}

// 0: go on; otherwise the exit status (usage printed).
int parse_options(int argc, char** argv, std::string& config, Way& way) {
    static option opts[] = {{"cert", required_argument, nullptr, 'C'},
                            {"key", required_argument, nullptr, 'K'},
                            {"ca", required_argument, nullptr, 'A'},
                            {"help", no_argument, nullptr, 'h'},
                            {nullptr, 0, nullptr, 0}};
    port53::ctl::TlsTarget files;
    for (int opt; (opt = getopt_long(argc, argv, "+c:s:h", opts, nullptr)) != -1;) {
        if (opt == 'c') config = optarg;
        if (opt == 's') way.socket = optarg;
        if (opt == 'C') files.cert = optarg;
        if (opt == 'K') files.key = optarg;
        if (opt == 'A') files.ca = optarg;
        if (opt == 'h' || opt == '?') {
            usage();
            return opt == 'h' ? -1 : 2;
        }
    }
    bool any_file = !files.cert.empty() || !files.key.empty() || !files.ca.empty();
    if (auto target = port53::ctl::parse_tls_target(way.socket); target || any_file) {
        if (!target || files.cert.empty() || files.key.empty() || files.ca.empty()) {
            std::fputs("port53-ctl: TLS needs -s IP@PORT, --cert, --key and --ca\n", stderr);
            return 2;
        }
        files.ip = target->ip;
        files.port = target->port;
        way.use_tls = true;
        way.tls = files;
    }
    if (optind >= argc) {
        usage();
        return 2;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config = kDefaultConfig;
    Way way;
    if (int status = parse_options(argc, argv, config, way)) return status < 0 ? 0 : status;
    try {
        if (way.socket.empty()) way.socket = port53::conf::load_config(config).control.socket;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "port53-ctl: %s\n", e.what());
        return 2;
    }
    if (way.socket.empty()) {
        std::fprintf(stderr, "port53-ctl: %s has no [control] socket\n", config.c_str());
        return 2;
    }
    std::string line;
    for (int i = optind; i < argc; ++i) line += (i > optind ? " " : "") + std::string(argv[i]);
    bool reached = false;
    std::string reply = send(way, line, reached);
    if (!reached) {
        std::fprintf(stderr, "%s\n", reply.c_str());
        return 2;
    }
    bool ok = reply.starts_with("ok\n");
    std::string body = reply.substr(reply.find('\n') + 1);
    std::fputs(ok ? body.c_str() : reply.c_str(), ok ? stdout : stderr);
    return ok ? 0 : 1;
}
