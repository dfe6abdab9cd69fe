// port53-load's pieces (tools/loadgen): the query file, the latency histogram, the ID table,
// the response check and the option bounds.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tools/loadgen/histogram.hpp"
#include "tools/loadgen/id_table.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/query_file.hpp"
#include "tools/loadgen/response.hpp"
#include "wire/query_view.hpp"
#include "wire/types.hpp"

using namespace port53::loadgen;
namespace wire = port53::wire;

TEST_CASE("loadgen: query file lines become wire queries", "[loadgen]") {
    QuerySet qs;
    std::string err;
    REQUIRE(parse_query_text("# comment\nwww.Sec.lab A\n\nsec.lab. mx\nexample TYPE65\nfoo.\n",
                             QueryOptions{}, qs, err));
    REQUIRE(qs.size() == 4);
    wire::QueryView v;
    REQUIRE(wire::parse_query(qs.query(0), v) == wire::QueryCheck::ok);
    CHECK(v.qtype == wire::type::A);
    CHECK(v.rd());
    CHECK_FALSE(v.edns);
    REQUIRE(wire::parse_query(qs.query(1), v) == wire::QueryCheck::ok);
    CHECK(v.qtype == wire::type::MX);
    REQUIRE(wire::parse_query(qs.query(2), v) == wire::QueryCheck::ok);
    CHECK(v.qtype == 65);
    REQUIRE(wire::parse_query(qs.query(3), v) == wire::QueryCheck::ok);
    CHECK(v.qtype == wire::type::A);  // no type: A, as dnsperf does
    // The question: "www.Sec.lab" as written (case kept), type A, class IN.
    auto q = qs.question(0);
    REQUIRE(q.size() == 13 + 4);
    CHECK(q[1] == 'w');
    CHECK(q[5] == 'S');
    CHECK(qs.max_size() == 12 + 17);
}

TEST_CASE("loadgen: EDNS and DO go into an OPT record", "[loadgen]") {
    QuerySet qs;
    std::string err;
    QueryOptions opt;
    opt.dnssec_ok = true;
    REQUIRE(parse_query_text("www.sec.lab A\n", opt, qs, err));
    wire::QueryView v;
    REQUIRE(wire::parse_query(qs.query(0), v) == wire::QueryCheck::ok);
    CHECK(v.edns);
    CHECK(v.dnssec_ok);
    CHECK(v.udp_size == 1232);
}

TEST_CASE("loadgen: malformed query lines are refused with their number", "[loadgen]") {
    std::string err;
    QuerySet a;
    CHECK_FALSE(parse_query_text("ok.lab A\nbad.lab NOTATYPE\n", QueryOptions{}, a, err));
    CHECK(err.rfind("line 2: unknown type", 0) == 0);
    QuerySet b;
    CHECK_FALSE(parse_query_text("a..b A\n", QueryOptions{}, b, err));
    CHECK(err.rfind("line 1: not a domain name", 0) == 0);
    QuerySet c;
    CHECK_FALSE(parse_query_text("x.lab A IN\n", QueryOptions{}, c, err));
    QuerySet d;
    CHECK_FALSE(parse_query_text("# only a comment\n", QueryOptions{}, d, err));
    CHECK(err == "no queries");
}

TEST_CASE("loadgen: histogram buckets keep values within 1/64", "[loadgen]") {
    for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 1000ull, 123456789ull, ~0ull >> 1}) {
        std::size_t b = Histogram::bucket_of(v);
        REQUIRE(b < Histogram::kBuckets);
        CHECK(Histogram::bucket_low(b) <= v);
        CHECK(v - Histogram::bucket_low(b) < Histogram::bucket_width(b));
        CHECK(Histogram::bucket_width(b) * 64 <= std::max<uint64_t>(v, 64));
    }
    // buckets are contiguous and increasing
    for (std::size_t b = 0; b + 1 < 2000; ++b) {
        CHECK(Histogram::bucket_low(b) + Histogram::bucket_width(b) ==
              Histogram::bucket_low(b + 1));
    }
}

TEST_CASE("loadgen: histogram percentiles, mean and merge", "[loadgen]") {
    Histogram h;
    for (uint64_t v = 1; v <= 1000; ++v) h.record(v * 1000);  // 1 µs .. 1 ms
    CHECK(h.count() == 1000);
    CHECK(h.min() == 1000);
    CHECK(h.max() == 1'000'000);
    CHECK(h.mean() == Approx(500'500.0));
    CHECK(h.percentile(50) == Approx(500'000).epsilon(1.0 / 64));
    CHECK(h.percentile(90) == Approx(900'000).epsilon(1.0 / 64));
    CHECK(h.percentile(99) == Approx(990'000).epsilon(1.0 / 64));
    CHECK(h.percentile(99.9) == Approx(999'000).epsilon(1.0 / 64));
    CHECK(h.percentile(100) == 1'000'000);
    Histogram g;
    g.record(5'000'000);
    h.merge(g);
    CHECK(h.count() == 1001);
    CHECK(h.max() == 5'000'000);
    CHECK(h.percentile(100) == 5'000'000);
    CHECK(Histogram{}.percentile(50) == 0);
}

TEST_CASE("loadgen: ID table hands out each ID once until released", "[loadgen]") {
    IdTable t(1, 100);
    std::vector<bool> seen(65536);
    for (uint32_t i = 0; i < 65536; ++i) {
        auto id = t.acquire(i, 100);
        REQUIRE(id);
        REQUIRE_FALSE(seen[*id]);
        seen[*id] = true;
    }
    CHECK(t.outstanding() == 65536);
    CHECK_FALSE(t.acquire(0, 100));
    t.release(42);
    CHECK(t.find(42) == nullptr);
    auto again = t.acquire(7, 200);
    REQUIRE(again);
    CHECK(*again == 42);
    REQUIRE(t.find(42) != nullptr);
    CHECK(t.find(42)->query == 7);
    CHECK(t.find(42)->sent_ns == 200);
}

TEST_CASE("loadgen: ID table expires the oldest, skips released ones", "[loadgen]") {
    IdTable t(2, 100);
    auto a = *t.acquire(0, 10);
    auto b = *t.acquire(1, 20);
    auto c = *t.acquire(2, 30);
    t.release(b);
    CHECK(t.expire(25) == 1);  // a only: b was answered, c is younger
    CHECK(t.find(a) == nullptr);
    CHECK(t.find(c) != nullptr);
    // an ID answered, then reused: its old send record must not expire the new query
    t.release(c);
    auto d = *t.acquire(3, 1000);
    CHECK(t.expire(500) == 0);
    CHECK(t.find(d) != nullptr);
    CHECK(t.expire(1001) == 1);
    CHECK(t.outstanding() == 0);
    // undo takes back the last send without leaving a record behind
    auto e = *t.acquire(4, 2000);
    t.undo(e);
    CHECK(t.outstanding() == 0);
    CHECK(t.expire(~0ull) == 0);
}

TEST_CASE("loadgen: ID table keeps timeouts right past many reuses", "[loadgen]") {
    // Far more sends than the ring holds, answered out of order, one long-lived query.
    IdTable t(3, 100);
    auto old = *t.acquire(0, 1);
    for (uint64_t i = 0; i < 600'000; ++i) {
        auto id = t.acquire(1, 10 + i);
        REQUIRE(id);
        t.release(*id);
    }
    CHECK(t.outstanding() == 1);
    CHECK(t.expire(5) == 1);
    CHECK(t.find(old) == nullptr);
}

namespace {
std::vector<uint8_t> response_to(std::span<const uint8_t> query, uint16_t id, uint16_t flags) {
    std::vector<uint8_t> r(query.begin(), query.end());
    wire::store16(r.data(), id);
    wire::store16(r.data() + 2, flags);
    return r;
}
}  // namespace

TEST_CASE("loadgen: responses are matched by header and question", "[loadgen]") {
    QuerySet qs;
    std::string err;
    REQUIRE(parse_query_text("www.sec.lab A\nwww.sec.lab AAAA\n", QueryOptions{}, qs, err));
    auto r = response_to(qs.query(0), 0x1234, wire::flag::QR | wire::flag::RD | 3);
    ResponseHead h;
    REQUIRE(read_response_head(r, h));
    CHECK(h.id == 0x1234);
    CHECK(h.rcode == 3);
    CHECK_FALSE(h.truncated);
    CHECK(question_matches(r, qs.question(0)));
    CHECK_FALSE(question_matches(r, qs.question(1)));  // type differs
    r[12 + 1] = 'W';                                   // case of the name does not matter
    CHECK(question_matches(r, qs.question(0)));
    r[12 + 2] = 'x';
    CHECK_FALSE(question_matches(r, qs.question(0)));
    auto q = response_to(qs.query(0), 1, wire::flag::RD);  // QR clear: a query, not a response
    CHECK_FALSE(read_response_head(q, h));
    CHECK_FALSE(read_response_head(std::span<const uint8_t>(r.data(), 11), h));
    CHECK_FALSE(question_matches(std::span<const uint8_t>(r.data(), 20), qs.question(0)));
}

namespace {
bool parse(std::vector<const char*> args, Options& o, std::string& err) {
    args.insert(args.begin(), "port53-load");
    return parse_options(static_cast<int>(args.size()), const_cast<char**>(args.data()), o, err);
}
}  // namespace

TEST_CASE("loadgen: options need a bound and a usable address", "[loadgen]") {
    Options o;
    std::string err;
    CHECK_FALSE(parse({"-d", "q.txt"}, o, err));
    CHECK(err.find("no bound") != std::string::npos);
    Options p;
    REQUIRE(parse({"-d", "q.txt", "-s", "127.53.0.95", "-l", "2", "-Q", "2000", "-c", "2", "-T",
                   "4", "-m", "dot"},
                  p, err));
    CHECK(p.cfg.transport == Transport::dot);
    CHECK(p.cfg.rate == 2000);
    CHECK(p.cfg.threads == 2);  // no more threads than sockets
    CHECK(ntohs(reinterpret_cast<const sockaddr_in&>(p.cfg.server).sin_port) == 853);
    Options q;
    CHECK_FALSE(parse({"-d", "q.txt", "-n", "1", "-s", "not-an-address"}, q, err));
    Options r;
    CHECK_FALSE(parse({"-d", "q.txt", "-n", "1", "-m", "quic"}, r, err));
}
