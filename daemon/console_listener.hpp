// The web console's HTTPS listener (issue 14): TLS (the console's certificate or the DoH
// one), an access list, HTTP/1.1 with keep-alive on Boost.Beast, and the requests handed to
// ConsoleApi. It runs on a thread of its own, so a login's deliberately slow password check
// never holds up a DNS worker; port53-ctl's operations it asks for run on worker 0.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <thread>

#include "base/coro.hpp"
#include "conf/config.hpp"
#include "daemon/console_api.hpp"
#include "daemon/control_commands.hpp"
#include "server/acl.hpp"

namespace port53::daemon {

// The console's TLS context; throws std::runtime_error naming the file or a bad
// console.password_hash (port53d --check builds it too).
boost::asio::ssl::context console_tls_context(const conf::Config& cfg);

class ConsoleListener {
  public:
    // Binds and starts its thread; throws std::runtime_error naming the address or file.
    ConsoleListener(const conf::Config& cfg, ConsoleApi::Command command,
                    const server::Activity* activity);
    ~ConsoleListener();
    ConsoleListener(const ConsoleListener&) = delete;
    ConsoleListener& operator=(const ConsoleListener&) = delete;

  private:
    base::awaitable<void> accept_loop();
    base::awaitable<void> serve(boost::asio::ip::tcp::socket socket, std::string client);

    boost::asio::io_context io_;
    boost::asio::ssl::context ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    server::Acl acl_;
    ConsoleApi api_;
    int open_ = 0;  // connections being served (its one thread: no lock)
    std::thread thread_;
};

// The console on `cfg.console.listen`, its commands run on `worker0` against `targets`; none
// without a listen address.
std::unique_ptr<ConsoleListener> open_console(const conf::Config& cfg,
                                              boost::asio::io_context& worker0,
                                              ControlTargets& targets,
                                              const server::Activity* activity);

}  // namespace port53::daemon
