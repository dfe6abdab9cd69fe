#include "daemon/settings_mapping.hpp"

#include <boost/asio/ip/address.hpp>
#include <thread>

#include "dnssec/trust_anchors.hpp"

namespace port53::daemon {

namespace {
template <typename T>
T as(int64_t v) {
    return static_cast<T>(v);
}
std::chrono::milliseconds ms(int64_t v) {
    return std::chrono::milliseconds(v);
}
}  // namespace

base::LogLevel log_level(const conf::Config& c) {
    if (c.log_level == "debug") return base::LogLevel::debug;
    if (c.log_level == "warning") return base::LogLevel::warning;
    if (c.log_level == "error") return base::LogLevel::error;
    return base::LogLevel::info;
}

std::size_t worker_count(const conf::Config& c) {
    return c.threads > 0 ? as<std::size_t>(c.threads)
                         : std::max(1u, std::thread::hardware_concurrency());
}

cache::TtlLimits ttl_limits(const conf::Config& c) {
    return {as<uint32_t>(c.min_ttl), as<uint32_t>(c.max_ttl), as<uint32_t>(c.max_negative_ttl)};
}

upstream::InfraSettings infra_settings(const conf::Config& c) {
    upstream::InfraSettings s;
    s.unknown_rtt = ms(c.upstream_timeout_ms);
    return s;
}

upstream::UpstreamLimits upstream_limits(const conf::Config& c) {
    upstream::UpstreamLimits u;
    u.max_outstanding = as<std::size_t>(c.max_outstanding_upstream);
    u.unwanted_threshold = as<uint64_t>(c.unwanted_reply_threshold);
    return u;
}

engine::EngineSettings engine_settings(const conf::Config& c) {
    engine::EngineSettings e;
    e.qname_minimisation = c.qname_minimisation;
    e.aggressive_nsec = c.aggressive_nsec;
    e.send_cookies = c.send_cookies;
    e.use_0x20 = c.use_0x20;
    e.allow_loopback_upstream = c.allow_loopback_upstream;
    e.use_ipv4 = c.ipv4;
    e.use_ipv6 = c.ipv6;
    e.edns_buffer_size = as<uint16_t>(c.edns_buffer_size);
    e.max_upstream_queries = as<int>(c.max_upstream_queries);
    e.max_referrals = as<int>(c.max_referrals);
    e.max_cname_chain = as<int>(c.max_cname_chain);
    e.max_ns_lookups = as<int>(c.max_ns_lookups);
    e.query_timeout = ms(c.query_timeout_ms);
    e.validate = c.dnssec_validation;
    e.dnssec_limits.nsec3_max_iterations = as<uint16_t>(c.nsec3_max_iterations);
    auto anchors = c.trust_anchor.empty() ? dnssec::TrustAnchors::builtin()
                                          : dnssec::TrustAnchors::load(c.trust_anchor);
    for (const auto& nta : c.negative_trust_anchors)
        if (auto n = wire::Name::from_text(nta)) anchors.add_negative(*n);
    e.anchors = std::make_shared<const dnssec::TrustAnchors>(std::move(anchors));
    return e;
}

server::ServerSettings server_settings(const conf::Config& c) {
    server::ServerSettings s;
    s.edns_buffer_size = as<uint16_t>(c.edns_buffer_size);
    s.acl = server::Acl::parse(c.access_control);
    s.max_inflight = as<std::size_t>(c.max_inflight);
    s.max_inflight_per_client = as<std::size_t>(c.max_inflight_per_client);
    s.prefetch = c.prefetch;
    s.serve_stale = c.serve_stale;
    s.max_stale = as<uint32_t>(c.max_stale);
    s.stale_ttl = as<uint32_t>(c.stale_ttl);
    s.answer_cookies = c.answer_cookies;
    if (upstream::CookieSecret secret{}; upstream::parse_cookie_secret(c.cookie_secret, secret))
        s.cookie_secret = secret;
    s.tunnel.enabled = c.tunnel_detection;
    s.tunnel.long_label = as<std::size_t>(c.tunnel_long_label);
    s.tunnel.entropy_bits = c.tunnel_entropy_bits;
    s.tunnel.unique_names = as<uint32_t>(c.tunnel_unique_names);
    s.tunnel.txt_null_queries = as<uint32_t>(c.tunnel_txt_null_queries);
    s.tunnel.window_seconds = as<uint32_t>(c.tunnel_window_seconds);
    for (const auto& d : c.tunnel_refuse_domains)
        if (auto n = wire::Name::from_text(d)) s.tunnel.refuse_domains.push_back(*n);
    s.rate_limit.queries_per_second = as<uint32_t>(c.rl_queries_per_second);
    s.rate_limit.responses_per_second = as<uint32_t>(c.rl_responses_per_second);
    s.rate_limit.slip = as<uint32_t>(c.rl_slip);
    s.rate_limit.ipv4_prefix = as<uint8_t>(c.rl_ipv4_prefix);
    s.rate_limit.ipv6_prefix = as<uint8_t>(c.rl_ipv6_prefix);
    return s;
}

transports::TcpSettings tcp_settings(const conf::Config& c) {
    transports::TcpSettings t;
    t.idle_timeout = ms(c.tcp_idle_timeout_ms);
    t.max_connections = as<std::size_t>(c.tcp_max_connections);
    t.max_pipelined = as<std::size_t>(c.tcp_max_pipelined);
    return t;
}

transports::EncryptedSettings encrypted_settings(const conf::Config& c) {
    transports::EncryptedSettings e;
    e.idle_timeout = ms(c.tls_idle_timeout_ms);
    e.max_connections = as<std::size_t>(c.tls_max_connections);
    e.max_pipelined = as<std::size_t>(c.tcp_max_pipelined);
    e.max_streams = as<uint32_t>(c.doh_max_streams);
    e.doh_path = c.doh_path;
    if (!c.tls_access_control.empty())
        e.acl = std::make_shared<const server::Acl>(server::Acl::parse(c.tls_access_control));
    for (const auto& ip : c.trusted_proxies)
        e.trusted_proxies.push_back(boost::asio::ip::make_address(ip));
    return e;
}

}  // namespace port53::daemon
