// The per-worker counters (base/counters.hpp): each thread its own block, summed when read;
// their rendering on the metrics page and as JSON (daemon/metrics_counters.cpp,
// daemon/control_figures.cpp); the infra table and the in-flight list port53-ctl shows.
#include "base/counters.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "daemon/control_figures.hpp"
#include "daemon/metrics_page.hpp"
#include "helpers.hpp"
#include "server/inflight.hpp"
#include "upstream/infra.hpp"

using namespace port53;

namespace {

// The value of one sample line of `page` ("name{labels} value"), or -1.
double sample(const std::string& page, const std::string& name_labels) {
    auto at = page.find("\n" + name_labels + " ");
    if (at == std::string::npos) return -1;
    return std::stod(page.substr(at + name_labels.size() + 2));
}

}  // namespace

TEST_CASE("each thread counts in its own block and the registry sums them", "[counters]") {
    base::CounterRegistry r;
    base::CounterBlock& w0 = r.add_block(0);
    base::CounterBlock& w1 = r.add_block(1);
    base::CounterBlock& other = r.add_block();
    CHECK(reinterpret_cast<uintptr_t>(&w0) % 64 == 0);  // a block never shares a cache line
    CHECK(reinterpret_cast<uintptr_t>(&w1) % 64 == 0);
    std::thread a([&] {
        for (int i = 0; i < 1000; ++i) w0.query(base::Transport::udp);
    });
    std::thread b([&] {
        for (int i = 0; i < 500; ++i) w1.query(base::Transport::tcp);
        w1.query(base::Transport::doh);
    });
    a.join();
    b.join();
    other.query(base::Transport::dot);
    other.cache_hits.add(7);
    w0.cache_hits.add(3);
    base::CounterTotals t = r.totals();
    CHECK(t.queries[0] == 1000);
    CHECK(t.queries[1] == 500);
    CHECK(t.queries[2] == 1);
    CHECK(t.queries[3] == 1);
    CHECK(t.total_queries() == 1502);
    CHECK(t.cache_hits == 10);
    // Per worker: only the workers' blocks, by number.
    auto per = r.per_worker();
    REQUIRE(per.size() == 2);
    CHECK(per[0] == std::pair<int, uint64_t>{0, 1000});
    CHECK(per[1] == std::pair<int, uint64_t>{1, 501});
}

TEST_CASE("the process's counters: a block per thread, none lost", "[counters]") {
    uint64_t before = base::counter_registry().totals().queries[0];
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n)
        threads.emplace_back([] {
            for (int i = 0; i < 10'000; ++i) base::counters().query(base::Transport::udp);
        });
    for (auto& th : threads) th.join();
    CHECK(base::counter_registry().totals().queries[0] == before + 40'000);
}

TEST_CASE("question types: the common ones apart, the rest as other", "[counters]") {
    using B = base::CounterBlock;
    CHECK(std::string(base::qtype_name(B::qtype_slot(1))) == "A");
    CHECK(std::string(base::qtype_name(B::qtype_slot(28))) == "AAAA");
    CHECK(std::string(base::qtype_name(B::qtype_slot(65))) == "HTTPS");
    CHECK(std::string(base::qtype_name(B::qtype_slot(64))) == "SVCB");
    CHECK(std::string(base::qtype_name(B::qtype_slot(255))) == "ANY");
    CHECK(std::string(base::qtype_name(B::qtype_slot(13))) == "other");  // HINFO
    CHECK(std::string(base::qtype_name(B::qtype_slot(0))) == "other");
    CHECK(std::string(base::qtype_name(B::qtype_slot(32769))) == "other");  // DLV
    B b;
    b.extended_error(15);
    b.extended_error(500);
    CHECK(b.ede[15].get() == 1);
    CHECK(b.ede[base::kEdeSlots].get() == 1);
    b.rcode(0x83);  // the header's fourth byte: RA set, NXDOMAIN
    CHECK(b.rcodes[3].get() == 1);
}

TEST_CASE("the counters on the metrics page: sums, labels and a cumulative histogram",
          "[counters]") {
    base::CounterRegistry r;
    base::CounterBlock& w0 = r.add_block(0);
    base::CounterBlock& w1 = r.add_block(1);
    w0.query(base::Transport::udp);
    w1.query(base::Transport::udp);
    w1.query(base::Transport::dot);
    w0.qtype(28);
    w1.qtype(99);
    w0.rcode(2);
    w0.extended_error(22);
    w0.refusal(base::Refusal::connection_cap);
    w0.upstream_rtt(300);        // 0.0005 bucket
    w1.upstream_rtt(1'000);      // 0.001 (bounds are inclusive, "le")
    w1.upstream_rtt(150'000);    // 0.2
    w1.upstream_rtt(9'000'000);  // +Inf only
    w0.validated(base::Validation::bogus);
    daemon::MetricsPage p;
    daemon::render_counters(p, r);
    std::string page = "\n" + p.text();
    CHECK(sample(page, R"(port53_queries_total{transport="udp"})") == 2);
    CHECK(sample(page, R"(port53_queries_total{transport="dot"})") == 1);
    CHECK(sample(page, R"(port53_queries_by_type_total{qtype="AAAA"})") == 1);
    CHECK(sample(page, R"(port53_queries_by_type_total{qtype="other"})") == 1);
    CHECK(sample(page, R"(port53_answers_by_rcode_total{rcode="SERVFAIL"})") == 1);
    CHECK(sample(page, R"(port53_answers_by_ede_total{ede="22"})") == 1);
    CHECK(sample(page, R"(port53_refused_total{reason="connection_cap"})") == 1);
    CHECK(sample(page, R"(port53_validation_total{result="bogus"})") == 1);
    CHECK(sample(page, R"(port53_worker_queries_total{worker="1"})") == 2);
    const std::string h = "port53_upstream_response_seconds";
    CHECK(sample(page, h + R"(_bucket{le="0.0005"})") == 1);
    CHECK(sample(page, h + R"(_bucket{le="0.001"})") == 2);
    CHECK(sample(page, h + R"(_bucket{le="0.1"})") == 2);
    CHECK(sample(page, h + R"(_bucket{le="0.2"})") == 3);
    CHECK(sample(page, h + R"(_bucket{le="2"})") == 3);
    CHECK(sample(page, h + R"(_bucket{le="+Inf"})") == 4);
    CHECK(sample(page, h + "_count") == 4);
    CHECK(sample(page, h + "_sum") == Approx(9.1513));
    CHECK(page.find("# TYPE " + h + " histogram\n") != std::string::npos);
}

TEST_CASE("stats --json: every sample of the page, grouped by name", "[counters]") {
    std::string page =
        "# HELP port53_a A.\n# TYPE port53_a counter\n"
        "port53_a{k=\"x\"} 1\nport53_a{k=\"y \\\"q\\\" \\\\\",j=\"2\"} 2\n"
        "port53_b 0.25\n";
    CHECK(daemon::metrics_json(page) ==
          "{\n\"port53_a\":[{\"labels\":{\"k\":\"x\"},\"value\":1},"
          "{\"labels\":{\"k\":\"y \\\"q\\\" \\\\\",\"j\":\"2\"},\"value\":2}],\n"
          "\"port53_b\":[{\"labels\":{},\"value\":0.25}]\n}\n");
}

TEST_CASE("the infra table lists every server, its RTT and where it is lame", "[counters]") {
    upstream::Infra infra({});
    auto a = *upstream::ServerAddr::parse("192.0.2.1");
    auto b = *upstream::ServerAddr::parse("2001:db8::53", 5353);
    infra.on_response(a, std::chrono::microseconds(20'000));
    infra.mark_lame(*wire::Name::from_text("example."), b, 1000);
    auto entries = infra.entries();
    REQUIRE(entries.size() == 2);
    const auto& ea = entries[0].addr == a ? entries[0] : entries[1];
    const auto& eb = entries[0].addr == a ? entries[1] : entries[0];
    CHECK(ea.addr == a);
    CHECK(ea.stats.srtt_us == 20'000);
    CHECK(ea.lame_until.empty());
    CHECK(eb.addr == b);
    REQUIRE(eb.lame_until.size() == 1);
    CHECK(eb.lame_until[0].first.to_text() == "example.");
    CHECK(eb.lame_until[0].second == 1000 + upstream::InfraSettings{}.lame_ttl);
    base::ManualClock clock(1010);
    daemon::MetricsSources s;
    s.infra = &infra;
    s.clock = &clock;
    std::string table = daemon::infra_table(s);
    CHECK(table.find("192.0.2.1:53") != std::string::npos);
    CHECK(table.find("20.000") != std::string::npos);
    CHECK(table.find("lame example. 890s") != std::string::npos);  // 900 s from 1000
    CHECK(table.find("[2001:db8::53]:5353") != std::string::npos);
}

TEST_CASE("the in-flight table lists its questions with their age and waiters", "[counters]") {
    server::InflightTable t({100, 10, 10});
    CHECK(t.join("q1", server::Waiter{}) == server::InflightTable::Join::first);
    CHECK(t.join("q1", server::Waiter{}) == server::InflightTable::Join::joined);
    CHECK(t.start("q2"));
    auto l = t.list();
    REQUIRE(l.size() == 2);
    std::sort(l.begin(), l.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
    CHECK(l[0].waiters == 2);
    CHECK(l[1].waiters == 0);
    CHECK(l[0].started <= std::chrono::steady_clock::now());
    t.finish("q1");
    CHECK(t.list().size() == 1);
}
