// port53-ctl's way in: a Unix stream socket (mode 0660, group [control] group), one command
// line per connection answered with "ok" or "error: why" and the command's output, then
// closed. Off unless [control] socket names a path. What the commands do is
// daemon/control_commands.hpp; this file only carries lines.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <string>

#include "base/coro.hpp"
#include "conf/config.hpp"

namespace port53::daemon {

class ControlSocket {
  public:
    // The reply to one command line (first line "ok" or "error: ...").
    using Handler = std::function<std::string(const std::string& line)>;
    // Binds now, replacing a socket a previous run left behind; throws std::runtime_error
    // naming the path.
    ControlSocket(boost::asio::io_context& io, const conf::Config::Control& settings,
                  Handler handler);
    ~ControlSocket();
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;
    void start();

  private:
    base::awaitable<void> accept_loop();
    base::awaitable<void> serve(boost::asio::local::stream_protocol::socket s);

    std::string path_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    Handler handler_;
};

}  // namespace port53::daemon
