// One command line in, its reply out: the exchange the control socket and the TLS control
// listener share (daemon/control_socket.hpp, daemon/control_tls.hpp).
#pragma once
#include <boost/asio/buffer.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <istream>
#include <string>
#include <utility>
#include <vector>

#include "base/coro.hpp"

namespace port53::daemon {

constexpr std::size_t kMaxControlLine = 4096;

// Commands whose answer takes a while (reload: daemon/reload.hpp), by their first word: the
// reply is awaited on the worker, which serves queries meanwhile. One table for every way
// in, filled before the workers run and only read afterwards (on worker 0).
using DeferredCommand = std::function<base::awaitable<std::string>(const std::string& line)>;
inline std::vector<std::pair<std::string, DeferredCommand>>& deferred_commands() {
    static std::vector<std::pair<std::string, DeferredCommand>> table;
    return table;
}
inline const DeferredCommand* deferred_command(const std::string& line) {
    for (const auto& [word, command] : deferred_commands())
        if (line.substr(0, line.find(' ')) == word) return &command;
    return nullptr;
}

// `handler` maps the line (without its newline) to the reply ("ok\n..." or "error: ...").
template <typename Stream, typename Handler>
base::awaitable<void> answer_one_line(Stream& s, const Handler& handler) {
    namespace asio = boost::asio;
    boost::system::error_code ec;
    auto redirect = asio::redirect_error(asio::use_awaitable, ec);
    asio::streambuf in(kMaxControlLine);
    co_await asio::async_read_until(s, in, '\n', redirect);
    std::string reply;
    if (ec && ec != asio::error::eof) {
        reply = "error: a command is one line of at most 4096 bytes\n";
    } else {
        std::istream lines(&in);
        std::string line;
        std::getline(lines, line);
        if (const DeferredCommand* later = deferred_command(line)) {
            reply = co_await (*later)(line);
        } else {
            reply = handler(line);
        }
    }
    co_await asio::async_write(s, asio::buffer(reply), redirect);
}

}  // namespace port53::daemon
