#include "daemon/reload_changes.hpp"

#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>

#include "filter/policies.hpp"
#include "wire/name.hpp"

namespace port53::daemon {

namespace {

using conf::Config;

std::string secondaries_text(const Config& c) {
    std::string out;
    for (const auto& s : c.secondaries)
        out += s.zone.to_text() + " " + s.file + " " + s.tsig_key + ";";
    for (const auto& k : c.tsig_keys) out += k.name + ";";
    return out;
}

// Each setting a reload leaves alone, and whether two configurations differ in it.
struct Fixed {
    const char* key;
    std::function<bool(const Config&, const Config&)> differs;
};

template <typename F>
Fixed fixed(const char* key, F get) {
    return {key, [get](const Config& a, const Config& b) { return get(a) != get(b); }};
}

const std::vector<Fixed>& fixed_settings() {
    static const std::vector<Fixed> table = {
        fixed("server.threads", [](const Config& c) { return c.server.threads; }),
        fixed("server.user", [](const Config& c) { return c.server.user; }),
        fixed("server.group", [](const Config& c) { return c.server.group; }),
        fixed("server.drain_timeout", [](const Config& c) { return c.server.drain_timeout; }),
        fixed("server.tcp_max_connections_per_client",
              [](const Config& c) { return c.server.tcp_max_connections_per_client; }),
        fixed("server.tcp_*",
              [](const Config& c) {
                  const auto& t = c.server.tcp;
                  return std::tuple(t.idle_timeout, t.max_connections, t.max_pipelined);
              }),
        fixed("server.max_inflight",
              [](const Config& c) {
                  const auto& f = c.server.front_door;
                  return std::pair(f.max_inflight, f.max_inflight_per_client);
              }),
        fixed("cache.*_ttl",
              [](const Config& c) {
                  const auto& t = c.cache.ttl;
                  return std::tuple(t.min_ttl, t.max_ttl, t.max_negative_ttl);
              }),
        fixed("resolver.root_hints", [](const Config& c) { return c.resolver.root_hints; }),
        fixed("resolver.outgoing_v4", [](const Config& c) { return c.resolver.outgoing_v4; }),
        fixed("resolver.outgoing_v6", [](const Config& c) { return c.resolver.outgoing_v6; }),
        // The RFC 5011 upkeep and its anchor are made once (daemon/trust_anchor_upkeep.hpp).
        fixed("resolver.trust_anchor_state",
              [](const Config& c) { return c.resolver.trust_anchor_state; }),
        fixed("resolver.tls_ca_file", [](const Config& c) { return c.resolver.tls_ca_file; }),
        fixed("tls.certificate", [](const Config& c) { return c.tls.certificate; }),
        fixed("tls.private_key", [](const Config& c) { return c.tls.private_key; }),
        fixed("tls.access_control",
              [](const Config& c) {
                  const auto& acl = c.tls.dot_doh.acl;
                  return acl ? acl->text() : std::vector<std::string>{};
              }),
        fixed("metrics",
              [](const Config& c) { return std::pair(c.metrics.listen, c.metrics.acl); }),
        // The console is opened once (daemon/console_listener.hpp); its changes file is read
        // at every reload, though (conf/console_state.hpp).
        fixed("console",
              [](const Config& c) {
                  const auto& k = c.console;
                  return std::tuple(k.listen, k.acl, k.certificate, k.private_key, k.password_hash,
                                    k.session_ttl, k.login_attempts, k.state_file,
                                    k.recent_queries);
              }),
        // Made once with its per-worker connections (daemon/main.cpp).
        fixed("redis",
              [](const Config& c) {
                  const auto& r = c.redis;
                  return std::tuple(r.enabled, r.address, r.prefix, r.timeout,
                                    r.max_pending_writes);
              }),
        fixed("control",
              [](const Config& c) {
                  const auto& k = c.control;
                  return std::tuple(k.socket, k.group, k.tls_listen, k.server_cert, k.server_key,
                                    k.client_ca);
              }),
        fixed("secondary", secondaries_text),
        // Read at start, written at shutdown (daemon/control_cache.hpp).
        fixed("cache.file", [](const Config& c) { return c.cache.file; }),
        // Opened while still root and handed to the workers once (daemon/logs.hpp); dnstap's
        // resolver side wraps the network the engines share.
        fixed("query_log",
              [](const Config& c) {
                  const auto& q = c.query_log;
                  return std::tuple(q.file, q.anonymise_v4_prefix, q.anonymise_v6_prefix,
                                    q.buffer_kb);
              }),
        fixed("dnstap",
              [](const Config& c) {
                  const auto& d = c.dnstap;
                  return std::tuple(d.socket, d.client, d.resolver, d.identity, d.queue);
              }),
    };
    return table;
}

bool under_any(const wire::Name& n, const std::vector<engine::ZoneRoute>& routes) {
    for (const auto& r : routes)
        if (n.is_subdomain_of(r.zone)) return true;
    return false;
}

}  // namespace

std::vector<std::string> needs_restart(const Config& old, const Config& next) {
    std::vector<std::string> out;
    for (const auto& f : fixed_settings())
        if (f.differs(old, next)) out.emplace_back(f.key);
    return out;
}

std::size_t forget_changed_answers(const Generation& old, const Generation& next,
                                   cache::AnswerCache& answers, cache::RRsetCache& rrsets) {
    const Config& a = old.config();
    const Config& b = next.config();
    if (a.views != b.views) {
        std::size_t n = answers.entries();
        answers.clear();
        return n;
    }
    const auto& ea = a.resolver.engine;
    const auto& eb = b.resolver.engine;
    std::vector<engine::ZoneRoute> routes;  // the forward and stub zones that changed
    auto gone = [&routes](const auto& from, const auto& to) {
        for (const auto& r : from)
            if (std::find(to.begin(), to.end(), r) == to.end()) routes.push_back(r);
    };
    gone(ea.forward_zones, eb.forward_zones);
    gone(eb.forward_zones, ea.forward_zones);
    gone(ea.stub_zones, eb.stub_zones);
    gone(eb.stub_zones, ea.stub_zones);
    if (!routes.empty())
        rrsets.forget_names([&](std::string_view wire) {
            auto n = wire::Name::from_wire(wire);
            return n && under_any(*n, routes);
        });
    auto policies_of = [](const Generation& g) {
        return g.blocklist() ? g.blocklist()->policies() : nullptr;
    };
    auto pa = policies_of(old);
    auto pb = policies_of(next);
    return answers.forget_names([&](std::string_view wire) {
        if ((pa && pa->speak_about(wire)) || (pb && pb->speak_about(wire))) return true;
        auto n = wire::Name::from_wire(wire);
        return n && (old.answers_locally(*n) || next.answers_locally(*n) || under_any(*n, routes));
    });
}

}  // namespace port53::daemon
