// The web console's requests and answers, apart from HTTP and TLS (daemon/console_listener):
// the page, the login, and a JSON API under that login which the page uses. Changes go
// through the same operations as port53-ctl (daemon/control_commands.hpp).
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/console_auth.hpp"
#include "daemon/console_profiles.hpp"
#include "server/activity.hpp"

namespace port53::daemon {

struct ConsoleRequest {
    std::string_view method;  // "GET", "POST", ...
    std::string_view target;  // "/api/overview?x=1"
    std::string_view body;    // form-encoded (a=1&b=2, percent-encoded)
    std::string_view cookie;  // the Cookie header
    std::string_view csrf;    // the X-CSRF-Token header
    std::string client;       // the client's address, for the login limit and the log
};

struct ConsoleResponse {
    unsigned status = 200;
    std::string type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // besides the usual ones
};

// `items` as a JSON array of strings, appended to `out`.
void append_json_strings(std::string& out, const std::vector<std::string>& items);

struct ConsoleSettings {
    std::string password_hash;
    std::chrono::seconds session_ttl{43'200};
    unsigned login_attempts = 5;     // failed logins a minute per client address
    std::string state_file;          // conf/console_state.hpp; empty: no changes
    std::vector<std::string> lists;  // the configured blocklists (files, URLs, RPZ files) on
    std::string views_json = "[]";   // the views as configured (name, clients, listeners, ...)
};

class ConsoleApi {
  public:
    // `command` runs one port53-ctl command line and returns its answer ("ok\n..." or
    // "error: ...").
    using Command = std::function<std::string(const std::string&)>;
    // `activity`: recent queries and counts (null: none kept).
    ConsoleApi(ConsoleSettings settings, Command command, ClientProfileInputs profiles,
               const server::Activity* activity);
    ConsoleResponse handle(const ConsoleRequest& r, ConsoleClock::time_point now);

  private:
    ConsoleResponse login(const ConsoleRequest& r, ConsoleClock::time_point now);
    ConsoleResponse api(const ConsoleRequest& r, std::string_view path, std::string_view query,
                        const std::string& session);
    ConsoleResponse action(std::string_view path, std::string_view body);
    // Block, allow, local records, lists on and off: written to the state file, then the
    // configuration is reloaded (and the file put back if the reload refuses it).
    ConsoleResponse change(std::string_view path, std::string_view body);
    ConsoleResponse changes_json() const;
    ConsoleResponse top_json(std::string_view query) const;
    ConsoleResponse log_json(std::string_view query) const;
    ConsoleResponse profile(std::string_view path, std::string_view query) const;
    ConsoleSettings settings_;
    Command command_;
    ClientProfileInputs profiles_;
    const server::Activity* activity_;
    // The configured lists, on or off (those off are no longer in the configuration).
    std::vector<std::string> known_lists_;
    ConsoleSessions sessions_;
    LoginLimiter limiter_;
};

}  // namespace port53::daemon
