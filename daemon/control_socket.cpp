#include "daemon/control_socket.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "base/log.hpp"
#include "daemon/control_line.hpp"

namespace port53::daemon {
namespace asio = boost::asio;
using Local = asio::local::stream_protocol;

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);

// A socket a previous run left behind is replaced; any other file is the operator's.
void remove_stale_socket(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
}

void set_access(const std::string& path, const std::string& group) {
    if (!group.empty()) {
        const struct group* g = ::getgrnam(group.c_str());
        if (!g || ::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0)
            throw std::runtime_error("control.group " + group + ": cannot give it " + path);
    }
    if (::chmod(path.c_str(), 0660) != 0)
        throw std::runtime_error("control.socket " + path + ": cannot set its mode");
}

}  // namespace

ControlSocket::ControlSocket(asio::io_context& io, const conf::Config::Control& settings,
                             Handler handler)
    : path_(settings.socket), acceptor_(io), handler_(std::move(handler)) {
    remove_stale_socket(path_);
    boost::system::error_code ec;
    acceptor_.open(Local(), ec);
    if (!ec) acceptor_.bind(Local::endpoint(path_), ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("control.socket " + path_ + ": " + ec.message());
    set_access(path_, settings.group);
}

ControlSocket::~ControlSocket() {
    ::unlink(path_.c_str());
}

void ControlSocket::start() {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

base::awaitable<void> ControlSocket::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        Local::socket s(acceptor_.get_executor());
        co_await acceptor_.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (!ec) asio::co_spawn(acceptor_.get_executor(), serve(std::move(s)), asio::detached);
    }
}

base::awaitable<void> ControlSocket::serve(Local::socket s) {
    asio::steady_timer deadline(s.get_executor());
    deadline.expires_after(kTimeout);
    deadline.async_wait([&s](boost::system::error_code ec) {
        if (!ec) s.close(ec);
    });
    co_await answer_one_line(s, handler_);
    deadline.cancel();
}

}  // namespace port53::daemon
