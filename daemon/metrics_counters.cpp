// The per-worker counters on the metrics page, summed over every block when scraped, and
// the label quoting of the exposition format.
#include <array>

#include "daemon/metrics.hpp"
#include "daemon/metrics_page.hpp"

namespace port53::daemon {

namespace {

using base::CounterTotals;

// RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 8490 §10.2: the rcodes a header's four bits carry.
constexpr std::array<const char*, base::kRcodes> kRcodeNames{
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPE",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};

void queries(MetricsPage& p, const CounterTotals& t) {
    p.family("port53_queries_total", "counter", "Queries received, by client transport.");
    for (std::size_t i = 0; i < base::kTransports; ++i)
        p.sample("port53_queries_total", t.queries[i],
                 metric_label_pair("transport", base::transport_name(base::Transport(i))));
    p.family("port53_queries_by_type_total", "counter",
             "Readable queries by question type (the common ones; the rest as other).");
    for (std::size_t i = 0; i < t.qtypes.size(); ++i)
        p.sample("port53_queries_by_type_total", t.qtypes[i],
                 metric_label_pair("qtype", base::qtype_name(i)));
    p.family("port53_answers_by_rcode_total", "counter", "Answers sent, by rcode.");
    for (std::size_t i = 0; i < base::kRcodes; ++i)
        if (i < 12 || t.rcodes[i] != 0)
            p.sample("port53_answers_by_rcode_total", t.rcodes[i],
                     metric_label_pair("rcode", kRcodeNames[i]));
    p.family("port53_answers_by_ede_total", "counter",
             "Answers carrying an Extended DNS Error (RFC 8914), by info-code.");
    for (std::size_t i = 0; i < t.ede.size(); ++i)
        if (t.ede[i] != 0)
            p.sample("port53_answers_by_ede_total", t.ede[i],
                     metric_label_pair("ede", i < base::kEdeSlots ? std::to_string(i) : "other"));
    p.family("port53_answer_cache_lookups_total", "counter",
             "Answer-cache lookups of readable questions, by result.");
    p.sample("port53_answer_cache_lookups_total", t.cache_hits, metric_label_pair("result", "hit"));
    p.sample("port53_answer_cache_lookups_total", t.cache_misses,
             metric_label_pair("result", "miss"));
}

void refusals(MetricsPage& p, const CounterTotals& t) {
    p.family("port53_refused_total", "counter",
             "Queries and connections refused or dropped, by reason (acl: access list; "
             "rate_limit: RRL drops; connection_cap: stream connections over a cap or a "
             "client's share; tunnel: tunnelling suspects refused; overload: questions over "
             "the in-flight limits; proxy: PROXY v2 headers missing, malformed or untrusted).");
    for (std::size_t i = 0; i < base::kRefusals; ++i)
        p.sample("port53_refused_total", t.refused[i],
                 metric_label_pair("reason", base::refusal_name(base::Refusal(i))));
    p.family("port53_rate_limit_slips_total", "counter",
             "UDP answers RRL cut to a truncated reply instead of dropping.");
    p.sample("port53_rate_limit_slips_total", t.rate_limit_slips);
    p.family("port53_connections_total", "counter", "Stream connections accepted, by transport.");
    for (auto tr : {base::Transport::tcp, base::Transport::dot, base::Transport::doh})
        p.sample("port53_connections_total", t.connections[static_cast<std::size_t>(tr)],
                 metric_label_pair("transport", base::transport_name(tr)));
    p.family("port53_tls_handshakes_total", "counter", "TLS handshakes of DoT and DoH clients.");
    p.sample("port53_tls_handshakes_total", t.tls_handshakes[0], metric_label_pair("result", "ok"));
    p.sample("port53_tls_handshakes_total", t.tls_handshakes[1],
             metric_label_pair("result", "failed"));
}

void upstream(MetricsPage& p, const CounterTotals& t) {
    p.family("port53_upstream_queries_total", "counter", "Queries sent to authorities.");
    p.sample("port53_upstream_queries_total", t.upstream_queries);
    p.family("port53_upstream_timeouts_total", "counter",
             "Queries to authorities that got no answer in time.");
    p.sample("port53_upstream_timeouts_total", t.upstream_timeouts);
    p.family("port53_upstream_tcp_fallbacks_total", "counter",
             "Truncated UDP answers asked again over TCP.");
    p.sample("port53_upstream_tcp_fallbacks_total", t.upstream_tcp_fallbacks);
    const char* h = "port53_upstream_response_seconds";
    p.family(h, "histogram", "Response time of authorities (UDP and DoT exchanges answered).");
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < base::kRttBoundsUs.size(); ++i) {
        cumulative += t.rtt[i];
        std::ostringstream le;
        le << static_cast<double>(base::kRttBoundsUs[i]) / 1e6;
        p.sample("port53_upstream_response_seconds_bucket", cumulative,
                 metric_label_pair("le", le.str()));
    }
    cumulative += t.rtt.back();
    p.sample("port53_upstream_response_seconds_bucket", cumulative,
             metric_label_pair("le", "+Inf"));
    p.sample_real("port53_upstream_response_seconds_sum", static_cast<double>(t.rtt_sum_us) / 1e6);
    p.sample("port53_upstream_response_seconds_count", cumulative);
    p.family("port53_validation_total", "counter",
             "Resolutions by the DNSSEC status of their answer (indeterminate: not validated, "
             "as with validation off).");
    for (std::size_t i = 0; i < base::kValidations; ++i)
        p.sample("port53_validation_total", t.validation[i],
                 metric_label_pair("result", base::validation_name(base::Validation(i))));
    p.family("port53_redis_lookups_total", "counter",
             "Second-level cache (Redis) lookups by result (timeout, error: skipped; invalid: a "
             "value that did not parse; rejected: not validated again).");
    for (std::size_t i = 0; i < 6; ++i)
        p.sample("port53_redis_lookups_total", t.shared[i],
                 metric_label_pair("result", base::shared_name(base::Shared(i))));
    p.family("port53_redis_writes_total", "counter",
             "Answers written to the second-level cache, and writes dropped.");
    for (std::size_t i = 6; i < base::kSharedResults; ++i)
        p.sample("port53_redis_writes_total", t.shared[i],
                 metric_label_pair("result", base::shared_name(base::Shared(i))));
}

}  // namespace

std::string metric_label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string metric_label_pair(const char* key, std::string_view value) {
    return std::string(key) + "=\"" + metric_label(value) + "\"";
}

void render_counters(MetricsPage& p, const base::CounterRegistry& registry) {
    CounterTotals t = registry.totals();
    queries(p, t);
    refusals(p, t);
    upstream(p, t);
    p.family("port53_worker_queries_total", "counter", "Queries received by each worker thread.");
    for (const auto& [worker, n] : registry.per_worker())
        p.sample("port53_worker_queries_total", n,
                 metric_label_pair("worker", std::to_string(worker)));
}

}  // namespace port53::daemon
