#include "daemon/console_api.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "conf/console_state.hpp"
#include "daemon/console_assets.hpp"
#include "server/query_log.hpp"
#include "transports/doh_request.hpp"
#include "wire/name.hpp"
#include "wire/zone_file.hpp"

namespace port53::daemon {

void append_json_strings(std::string& out, const std::vector<std::string>& items) {
    out += "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ",";
        server::append_json_string(out, items[i]);
    }
    out += "]";
}

namespace {

constexpr std::string_view kCookie = "p53_console";

ConsoleResponse json_error(unsigned status, std::string_view what) {
    std::string body = "{\"error\":";
    server::append_json_string(body, what);
    return {status, "application/json", body + "}\n", {}};
}

// The value of our cookie in a Cookie header ("a=1; p53_console=TOKEN").
std::string_view session_cookie(std::string_view header) {
    while (!header.empty()) {
        std::size_t end = header.find(';');
        std::string_view part = header.substr(0, end);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.size() > kCookie.size() && part.starts_with(kCookie) &&
            part[kCookie.size()] == '=')
            return part.substr(kCookie.size() + 1);
        if (end == std::string_view::npos) break;
        header.remove_prefix(end + 1);
    }
    return {};
}

// A command's answer as the API gives it: its text after "ok\n", or 400 with the error.
ConsoleResponse from_command(const std::string& answer, const char* type = "text/plain") {
    if (answer.starts_with("ok\n")) return {200, type, answer.substr(3), {}};
    return json_error(400, answer.starts_with("error: ") ? answer.substr(7) : answer);
}

// A name from a form, in the form commands want it; nullopt if it is not a domain name (so
// nothing but a name ever reaches a command line).
std::optional<std::string> form_name(std::string_view form) {
    auto text = transports::query_parameter(form, "name");
    auto name = text ? wire::Name::from_text(*text) : std::nullopt;
    if (!name) return std::nullopt;
    std::string out = name->to_text();
    if (out.find_first_of(" \t\r\n") != std::string::npos) return std::nullopt;
    return out;
}

void json_list(std::string& out, const char* key, const std::vector<std::string>& items) {
    out += std::string("\"") + key + "\":";
    append_json_strings(out, items);
}

// `item` added to `to` (once) and taken out of `from`: a name is blocked or allowed, not both.
bool move_to(std::vector<std::string>& to, std::vector<std::string>& from,
             const std::string& item) {
    bool changed = std::erase(from, item) > 0;
    if (std::find(to.begin(), to.end(), item) == to.end()) {
        to.push_back(item);
        changed = true;
    }
    return changed;
}

// One record in zone-file form, checked by the parser the configuration uses.
std::optional<std::string> form_record(std::string_view form) {
    auto text = transports::query_parameter(form, "record");
    if (!text || text->find_first_of("\r\n") != std::string::npos) return std::nullopt;
    try {
        if (wire::parse_zone_text(*text + "\n", "console").size() != 1) return std::nullopt;
    } catch (const std::runtime_error&) {
        return std::nullopt;
    }
    return text;
}

}  // namespace

ConsoleApi::ConsoleApi(ConsoleSettings settings, Command command, ClientProfileInputs profiles,
                       const server::Activity* activity)
    : settings_(std::move(settings)),
      command_(std::move(command)),
      profiles_(std::move(profiles)),
      activity_(activity),
      known_lists_(settings_.lists),
      sessions_(settings_.session_ttl, 64),
      limiter_(settings_.login_attempts) {
    if (settings_.state_file.empty()) return;
    for (const auto& l : conf::read_console_state(settings_.state_file).lists_off)
        if (std::find(known_lists_.begin(), known_lists_.end(), l) == known_lists_.end())
            known_lists_.push_back(l);
}

ConsoleResponse ConsoleApi::handle(const ConsoleRequest& r, ConsoleClock::time_point now) {
    std::string_view path = r.target.substr(0, r.target.find('?'));
    std::string_view query =
        path.size() < r.target.size() ? r.target.substr(path.size() + 1) : std::string_view{};
    if (!path.starts_with("/api/")) {
        for (const auto& a : console_assets())
            if (a.path == path) {
                if (r.method != "GET") return json_error(405, "GET only");
                return {200, std::string(a.type), std::string(a.body), {}};
            }
        return json_error(404, "no such page");
    }
    if (path == "/api/login") {
        if (r.method != "POST") return json_error(405, "POST only");
        return login(r, now);
    }
    std::string token(session_cookie(r.cookie));
    const std::string* csrf = sessions_.csrf_of(token, now);
    if (!csrf) return json_error(401, "log in first");
    // Every change needs the session's CSRF token in a header: a page of another site can make
    // the browser send the cookie (SameSite aside) but cannot read or forge the token.
    if (r.method != "GET" && r.csrf != *csrf) return json_error(403, "missing or wrong CSRF token");
    if (path == "/api/logout") {
        sessions_.close(token);
        return {200,
                "application/json",
                "{}\n",
                {{"Set-Cookie", std::string(kCookie) + "=; Path=/; Max-Age=0; Secure; HttpOnly; "
                                                       "SameSite=Strict"}}};
    }
    return api(r, path, query, *csrf);
}

ConsoleResponse ConsoleApi::login(const ConsoleRequest& r, ConsoleClock::time_point now) {
    if (unsigned wait = limiter_.wait_seconds(r.client, now)) {
        auto res = json_error(429, "too many failed logins; try again later");
        res.headers.emplace_back("Retry-After", std::to_string(wait));
        return res;
    }
    auto password = transports::query_parameter(r.body, "password");
    if (!password || !verify_password(*password, settings_.password_hash)) {
        limiter_.failed(r.client, now);
        P53_LOG(warning, "console: failed login from " << r.client);
        return json_error(401, "wrong password");
    }
    limiter_.succeeded(r.client);
    auto s = sessions_.open(now);
    P53_LOG(info, "console: login from " << r.client);
    std::string body = "{\"csrf\":";
    server::append_json_string(body, s.csrf);
    return {200,
            "application/json",
            body + "}\n",
            {{"Set-Cookie", std::string(kCookie) + "=" + s.token + "; Path=/; Max-Age=" +
                                std::to_string(settings_.session_ttl.count()) +
                                "; Secure; HttpOnly; SameSite=Strict"}}};
}

ConsoleResponse ConsoleApi::api(const ConsoleRequest& r, std::string_view path,
                                std::string_view query, const std::string& session) {
    if (r.method == "POST") return action(path, r.body);
    if (r.method != "GET") return json_error(405, "GET or POST");
    if (path == "/api/session") {
        std::string body = "{\"csrf\":";
        server::append_json_string(body, session);
        return {200, "application/json", body + "}\n", {}};
    }
    if (path == "/api/overview") return from_command(command_("stats --json"), "application/json");
    if (path == "/api/status") return from_command(command_("status"));
    if (path == "/api/lookup") {
        auto name = form_name(query);
        if (!name) return json_error(400, "name= must be a domain name");
        return from_command(command_("lookup " + *name));
    }
    if (path.starts_with("/api/profiles")) return profile(path, query);
    if (path == "/api/changes") return changes_json();
    if (path == "/api/top") return top_json(query);
    if (path == "/api/log") return log_json(query);
    if (path == "/api/latency") {
        if (!activity_) return json_error(404, "no activity kept");
        auto l = activity_->latency(60);
        return {200,
                "application/json",
                "{\"n\":" + std::to_string(l.n) + ",\"p50_us\":" + std::to_string(l.p50_us) +
                    ",\"p95_us\":" + std::to_string(l.p95_us) +
                    ",\"p99_us\":" + std::to_string(l.p99_us) + "}\n",
                {}};
    }
    if (path == "/api/views") return {200, "application/json", settings_.views_json + "\n", {}};
    return json_error(404, "no such API");
}

// Changes: flush a name (or a zone) from the caches; the rest change the configuration.
ConsoleResponse ConsoleApi::action(std::string_view path, std::string_view body) {
    if (path != "/api/flush") return change(path, body);
    auto name = form_name(body);
    if (!name) return json_error(400, "name= must be a domain name");
    bool zone = transports::query_parameter(body, "zone") == "1";
    return from_command(command_((zone ? "flush-zone " : "flush ") + *name));
}

ConsoleResponse ConsoleApi::profile(std::string_view path, std::string_view query) const {
    if (profiles_.name.empty())
        return json_error(404,
                          "no profiles: the resolver has no name (tls.certificate with a "
                          "DNS name, or ddr.name)");
    if (path == "/api/profiles") return {200, "application/json", profiles_json(profiles_), {}};
    if (path != "/api/profiles/apple.mobileconfig") return json_error(404, "no such profile");
    bool tls = transports::query_parameter(query, "protocol") == "tls";
    if (tls ? profiles_.dot_host.empty() : profiles_.doh_url.empty())
        return json_error(404, tls ? "no DoT on port 853" : "no DoH listener");
    return {200,
            "application/x-apple-aspen-config",
            apple_mobileconfig(profiles_, tls),
            {{"Content-Disposition", std::string("attachment; filename=\"port53-") +
                                         (tls ? "dot" : "doh") + ".mobileconfig\""}}};
}

}  // namespace port53::daemon

namespace port53::daemon {

ConsoleResponse ConsoleApi::changes_json() const {
    conf::ConsoleState st;
    if (!settings_.state_file.empty()) st = conf::read_console_state(settings_.state_file);
    std::string out = "{";
    json_list(out, "block", st.block);
    out += ",";
    json_list(out, "allow", st.allow);
    out += ",";
    json_list(out, "local_data", st.local_data);
    out += ",";
    std::vector<std::string> on;
    for (const auto& l : known_lists_)
        if (std::find(st.lists_off.begin(), st.lists_off.end(), l) == st.lists_off.end())
            on.push_back(l);
    json_list(out, "lists_on", on);
    out += ",";
    json_list(out, "lists_off", st.lists_off);
    out += std::string(",\"changes\":") + (settings_.state_file.empty() ? "false" : "true");
    return {200, "application/json", out + "}\n", {}};
}

ConsoleResponse ConsoleApi::change(std::string_view path, std::string_view body) {
    if (settings_.state_file.empty()) return json_error(409, "console.state_file is empty");
    conf::ConsoleState before = conf::read_console_state(settings_.state_file), st = before;
    auto name = form_name(body);
    auto record = form_record(body);
    auto list = transports::query_parameter(body, "list");
    bool on = transports::query_parameter(body, "on") == "1";
    if (path == "/api/block" && name) {
        move_to(st.block, st.allow, *name);
    } else if (path == "/api/allow" && name) {
        move_to(st.allow, st.block, *name);
    } else if (path == "/api/unlist" && name) {
        std::erase(st.block, *name);
        std::erase(st.allow, *name);
    } else if (path == "/api/local" && record) {
        if (std::find(st.local_data.begin(), st.local_data.end(), *record) == st.local_data.end())
            st.local_data.push_back(*record);
    } else if (path == "/api/local/remove" && record) {
        std::erase(st.local_data, *record);
    } else if (path == "/api/list" && list &&
               std::find(known_lists_.begin(), known_lists_.end(), *list) != known_lists_.end()) {
        std::erase(st.lists_off, *list);
        if (!on) st.lists_off.push_back(*list);
    } else {
        return json_error(400, "no such change, or its name, record or list is not valid");
    }
    if (st == before) return {200, "application/json", "{\"changed\":false}\n", {}};
    conf::write_console_state(settings_.state_file, st);
    std::string answer = command_("reload");
    if (!answer.starts_with("ok")) {
        conf::write_console_state(settings_.state_file, before);  // the running one stays
        return from_command(answer);
    }
    P53_LOG(info, "console: " << path.substr(5) << " " << body.substr(0, 200));
    return {200, "application/json", "{\"changed\":true}\n", {}};
}

}  // namespace port53::daemon

namespace port53::daemon {

namespace {

using Top = server::Activity::Top;

std::optional<Top> top_kind(std::string_view text) {
    static const std::pair<std::string_view, Top> kKinds[] = {
        {"names", Top::names},
        {"blocked", Top::blocked},
        {"clients", Top::clients},
        {"refused", Top::refused},
        {"rate_limited", Top::rate_limited},
        {"tunnel_suspects", Top::tunnel_suspects},
        {"bogus", Top::bogus}};
    for (const auto& [name, kind] : kKinds)
        if (name == text) return kind;
    return std::nullopt;
}

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "?n=20" as a number in [1, max], or `fallback`.
std::size_t bounded(std::string_view query, const char* key, std::size_t fallback,
                    std::size_t max) {
    auto text = transports::query_parameter(query, key);
    if (!text || text->empty() || text->size() > 7 ||
        text->find_first_not_of("0123456789") != std::string::npos)
        return fallback;
    return std::clamp<std::size_t>(std::stoul(*text), 1, max);
}

}  // namespace

// GET /api/top?kind=names&period=hour|day&n=20: [{"key":..,"n":..}], largest first.
ConsoleResponse ConsoleApi::top_json(std::string_view query) const {
    if (!activity_) return json_error(404, "no activity kept");
    auto kind = top_kind(transports::query_parameter(query, "kind").value_or("names"));
    auto period = transports::query_parameter(query, "period").value_or("hour");
    if (!kind || (period != "hour" && period != "day"))
        return json_error(400,
                          "kind: names, blocked, clients, refused, rate_limited, "
                          "tunnel_suspects or bogus; period: hour or day");
    int64_t since = unix_now() - (period == "hour" ? 3600 : 86'400);
    std::string out = "[";
    for (const auto& c : activity_->top(*kind, since, bounded(query, "n", 20, 1000))) {
        out += out.size() > 1 ? ",{\"key\":" : "{\"key\":";
        server::append_json_string(out, c.key);
        out += ",\"n\":" + std::to_string(c.n) + "}";
    }
    return {200, "application/json", out + "]\n", {}};
}

// GET /api/log?q=TEXT&rcode=NXDOMAIN&type=AAAA&blocked=1&limit=100: the newest matching
// queries.
ConsoleResponse ConsoleApi::log_json(std::string_view query) const {
    if (!activity_) return json_error(404, "no activity kept");
    auto needle = transports::query_parameter(query, "q").value_or("");
    auto rcode = transports::query_parameter(query, "rcode").value_or("");
    auto type = transports::query_parameter(query, "type").value_or("");
    auto blocked = transports::query_parameter(query, "blocked").value_or("");
    server::Activity::Filter f{needle, rcode, type, blocked == "1" ? 1 : blocked == "0" ? 0 : -1};
    std::string out = "[";
    for (const auto& e : activity_->search(f, bounded(query, "limit", 100, 1000))) {
        out += out.size() > 1 ? ",{\"time\":" : "{\"time\":";
        out += std::to_string(e.unix_s) + ",\"client\":";
        server::append_json_string(out, e.client);
        out += ",\"name\":";
        server::append_json_string(out, e.name);
        out += ",\"type\":";
        server::append_json_string(out, e.type);
        out += ",\"rcode\":";
        server::append_json_string(out, e.rcode);
        out += ",\"ede\":" + std::to_string(e.ede) +
               ",\"blocked\":" + (e.blocked ? "true" : "false") +
               ",\"cache_hit\":" + (e.cache_hit ? "true" : "false") + "}";
    }
    return {200, "application/json", out + "]\n", {}};
}

}  // namespace port53::daemon
