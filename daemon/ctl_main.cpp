// port53-ctl: sends one command to a running port53d over its control socket
// ([control] socket) and prints the answer. Exit status: 0 ok, 1 the daemon refused the
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

namespace {

constexpr const char* kDefaultConfig = "/etc/port53/port53d.toml";

void usage() {
    std::fputs(
        "usage: port53-ctl [-c CONFIG | -s SOCKET] COMMAND [ARG]\n"
        "  -c CONFIG  read [control] socket from CONFIG (default /etc/port53/port53d.toml)\n"
        "  -s SOCKET  talk to this socket\n"
        "commands: status, stats, flush NAME, flush-zone ZONE, flush-all, log-level LEVEL, help\n",
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

}  // namespace

int main(int argc, char** argv) {
    std::string config = kDefaultConfig, socket;
    for (int opt; (opt = getopt(argc, argv, "+c:s:h")) != -1;) {
        if (opt == 'c') config = optarg;
        if (opt == 's') socket = optarg;
        if (opt == 'h' || opt == '?') {
            usage();
            return opt == 'h' ? 0 : 2;
        }
    }
    if (optind >= argc) {
        usage();
        return 2;
    }
    try {
        if (socket.empty()) socket = port53::conf::load_config(config).control.socket;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "port53-ctl: %s\n", e.what());
        return 2;
    }
    if (socket.empty()) {
        std::fprintf(stderr, "port53-ctl: %s has no [control] socket\n", config.c_str());
        return 2;
    }
    std::string line;
    for (int i = optind; i < argc; ++i) line += (i > optind ? " " : "") + std::string(argv[i]);
    bool reached = false;
    std::string reply = exchange(socket, line, reached);
    if (!reached) {
        std::fprintf(stderr, "%s\n", reply.c_str());
        return 2;
    }
    bool ok = reply.starts_with("ok\n");
    std::string body = reply.substr(reply.find('\n') + 1);
    std::fputs(ok ? body.c_str() : reply.c_str(), ok ? stdout : stderr);
    return ok ? 0 : 1;
}
