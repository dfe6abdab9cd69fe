// DoH request decoding, JSON rendering, EDNS padding and X-Forwarded-For: the pure parts
// of the encrypted front-ends.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "conf/config.hpp"
#include "helpers.hpp"
#include "transports/dns_json.hpp"
#include "transports/doh_request.hpp"
#include "transports/doh_response.hpp"
#include "transports/edns_padding.hpp"
#include "transports/forwarded_for.hpp"
#include "transports/nghttp2_pool.hpp"
#include "wire/message.hpp"
#include "wire/opt_view.hpp"

using namespace port53;
using namespace port53::transports;
using port53::test::query;

namespace {

std::string base64url(std::span<const uint8_t> in) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (uint8_t b : in) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(abc[(acc >> bits) & 63]);
        }
    }
    if (bits) out.push_back(abc[(acc << (6 - bits)) & 63]);
    return out;
}

DohDecoded get(const std::string& target) {
    return decode_doh_request({"GET", target, "", {}}, "/dns-query");
}

DohDecoded post(std::span<const uint8_t> body, std::string_view type = "application/dns-message") {
    return decode_doh_request({"POST", "/dns-query", type, body}, "/dns-query");
}

std::vector<uint8_t> padded_query() {
    auto q = query("www.sec.lab", wire::type::A);
    // Append a 4-byte Padding option to the OPT record (last): RDLENGTH 0 → 8.
    q.back() = 8;
    for (uint8_t b : {0, 12, 0, 4, 0, 0, 0, 0}) q.push_back(b);
    return q;
}

}  // namespace

TEST_CASE("base64url decodes RFC 4648 §5 and rejects the rest", "[doh]") {
    std::vector<uint8_t> bytes{0xfb, 0xff, 0x00, 0x01, 0x3e};
    CHECK(base64url_decode(base64url(bytes)) == bytes);
    CHECK(base64url_decode("-_8") == std::vector<uint8_t>{0xfb, 0xff});
    CHECK(base64url_decode("-_8=") == std::vector<uint8_t>{0xfb, 0xff});  // tolerated padding
    CHECK_FALSE(base64url_decode("+/8"));  // standard alphabet is not base64url
    CHECK_FALSE(base64url_decode("A"));    // one char cannot hold a byte
    CHECK_FALSE(base64url_decode("-_9"));  // non-zero leftover bits
    CHECK_FALSE(base64url_decode("ab cd"));
    CHECK(base64url_decode("")->empty());
    // Every length of input, and what a library decoder might skip or take as zero bits.
    for (std::size_t n = 0; n < 40; ++n) {
        std::vector<uint8_t> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 37 + 250);
        CHECK(base64url_decode(base64url(v)) == v);
    }
    for (const char* bad :
         {"QU=JD", "=QUJD", " QUJD", "QUJD ", "QUJD    ", "    QUJD", "QUJD\n", "QUJ-\n", "QUJD-",
          "\xc3\xa9"
          "AA"})
        CHECK_FALSE(base64url_decode(bad));
    CHECK_FALSE(base64url_decode(std::string_view("QU\0D", 4)));
}

TEST_CASE("query parameters are found and percent-decoded", "[doh]") {
    CHECK(query_parameter("a=1&dns=AAAB&b=2", "dns") == "AAAB");
    CHECK(query_parameter("name=www.sec.lab%2E&type=A", "name") == "www.sec.lab.");
    CHECK_FALSE(query_parameter("a=1", "dns"));
    CHECK_FALSE(query_parameter("dnsx=1", "dns"));
    CHECK_FALSE(query_parameter("name=%zz", "name"));
    CHECK_FALSE(query_parameter("name=%4", "name"));
}

TEST_CASE("record types from text", "[doh]") {
    CHECK(rr_type_from_text("AAAA") == wire::type::AAAA);
    CHECK(rr_type_from_text("mx") == wire::type::MX);
    CHECK(rr_type_from_text("65") == 65);
    CHECK(rr_type_from_text("TYPE99") == 99);
    CHECK_FALSE(rr_type_from_text("70000"));
    CHECK_FALSE(rr_type_from_text("BOGUS"));
    CHECK_FALSE(rr_type_from_text(""));
}

TEST_CASE("GET and POST carry the DNS query", "[doh]") {
    auto q = query("www.sec.lab", wire::type::A, 0);
    auto g = get("/dns-query?dns=" + base64url(q));
    CHECK(g.status == 200);
    CHECK(g.kind == DohKind::dns_message);
    CHECK(g.query == q);
    auto p = post(q);
    CHECK(p.status == 200);
    CHECK(p.query == q);
    CHECK(post(q, "application/dns-message; charset=utf-8").status == 200);
    // the path is configurable
    CHECK(decode_doh_request({"GET", "/q?dns=" + base64url(q), "", {}}, "/q").status == 200);
}

TEST_CASE("bad DoH requests get their HTTP status", "[doh]") {
    auto q = query("www.sec.lab", wire::type::A, 0);
    CHECK(get("/dns-query?dns=not*base64").status == 400);
    CHECK(get("/dns-query").status == 400);
    CHECK(get("/dns-query?dns=AAAA").status == 400);  // 3 bytes: no DNS header
    CHECK(get("/other?dns=" + base64url(q)).status == 404);
    CHECK(get("/dns-query-x?dns=" + base64url(q)).status == 404);
    CHECK(post(q, "text/plain").status == 415);
    CHECK(post(q, "").status == 415);
    std::vector<uint8_t> huge(70'000, 0);
    CHECK(post(huge).status == 413);
    CHECK(get("/dns-query?dns=" + base64url(huge)).status == 413);
    auto put =
        decode_doh_request({"PUT", "/dns-query", "application/dns-message", q}, "/dns-query");
    CHECK(put.status == 405);
    CHECK(put.allow == "GET, POST");
    CHECK(decode_doh_request({"POST", "/resolve?name=x", "", {}}, "/dns-query").status == 405);
}

TEST_CASE("the JSON API builds a query from name and type", "[doh]") {
    auto d = get("/resolve?name=www.sec.lab&type=AAAA&do=1&cd=true");
    REQUIRE(d.status == 200);
    CHECK(d.kind == DohKind::json);
    wire::Message m = wire::parse_message(d.query).value();
    REQUIRE(m.questions.size() == 1);
    CHECK(m.questions[0].name == *wire::Name::from_text("www.sec.lab."));
    CHECK(m.questions[0].type == wire::type::AAAA);
    CHECK(m.has(wire::flag::RD));
    CHECK(m.has(wire::flag::CD));
    REQUIRE(m.edns);
    CHECK(m.edns->dnssec_ok);
    CHECK(wire::parse_message(get("/resolve?name=x.lab").query).value().questions[0].type ==
          wire::type::A);
    CHECK(get("/resolve?type=A").status == 400);
    CHECK(get("/resolve?name=x.lab&type=NOPE").status == 400);
    CHECK(get("/resolve?name=" + std::string(300, 'a')).status == 400);
}

TEST_CASE("answers render as dns-json with the smallest TTL as max-age", "[doh]") {
    using namespace port53::test;
    wire::MessageBuilder b;
    b.header(0, wire::flag::QR | wire::flag::RD | wire::flag::RA);
    b.question(N("www.sec.lab"), wire::type::A, wire::cls::IN);
    b.add(wire::Section::answer, a("www.sec.lab", "192.0.2.1", 300));
    b.add(wire::Section::answer, rr("www.sec.lab", wire::type::TXT, 120,
                                    std::string("\x03"
                                                "a\"b",
                                                4)));
    b.add_opt(1232, true);  // DO: the OPT's "TTL" field is 0x8000, not a TTL
    auto reply = b.take();
    CHECK(wire::smallest_ttl(reply) == 120u);
    CHECK_FALSE(wire::smallest_ttl(std::span(reply).first(reply.size() - 1)));  // cut short
    std::string json = dns_json(reply).value();
    CHECK(json.find("\"Status\":0") != std::string::npos);
    CHECK(json.find("\"RA\":true") != std::string::npos);
    CHECK(json.find("{\"name\":\"www.sec.lab.\",\"type\":1,\"TTL\":300,\"data\":\"192.0.2.1\"}") !=
          std::string::npos);
    CHECK(json.find("\"data\":\"\\\"a\\\\\\\"b\\\"\"") != std::string::npos);  // "a\"b" escaped
    auto r = doh_answer(DohKind::dns_message, reply);
    CHECK(r.status == 200);
    CHECK(r.cache_control == "max-age=120");
    CHECK(r.content_type == "application/dns-message");
    CHECK(doh_answer(DohKind::json, reply).content_type == "application/dns-json");
    CHECK(doh_answer(DohKind::dns_message, {}).status == 400);
    auto empty = query("x.lab", wire::type::A);
    empty[2] |= 0x80;
    CHECK(doh_answer(DohKind::dns_message, empty).cache_control == "no-store");
}

TEST_CASE("answers are padded to 468-byte blocks only when the query was", "[doh][padding]") {
    auto plain = query("www.sec.lab", wire::type::A);
    CHECK_FALSE(has_padding_option(plain));
    CHECK(has_padding_option(padded_query()));
    CHECK_FALSE(has_padding_option(query("x", wire::type::A, 1, false)));

    auto reply = plain;
    reply[2] |= 0x80;
    std::size_t before = reply.size();
    REQUIRE(pad_reply(reply));
    CHECK(reply.size() == 468);
    wire::Message m = wire::parse_message(reply).value();  // still a valid message
    CHECK(m.edns);
    CHECK(has_padding_option(reply));
    CHECK_FALSE(pad_reply(reply));  // padded once only
    CHECK(before < reply.size());

    auto no_opt = query("x", wire::type::A, 1, false);
    CHECK_FALSE(pad_reply(no_opt));
    // exactly one block minus the option header: pads to the next block boundary
    std::vector<uint8_t> truncated(plain.begin(), plain.begin() + 5);
    CHECK_FALSE(pad_reply(truncated));
}

TEST_CASE("X-Forwarded-For is believed only from trusted proxies", "[doh]") {
    namespace ip = boost::asio::ip;
    std::vector<ip::address> proxies{ip::make_address("127.0.0.9"), ip::make_address("127.0.0.8")};
    auto client = [&](const char* peer, std::vector<std::string_view> xff) {
        auto c =
            forwarded_client(ip::make_address(peer), ProxyHeaders{std::move(xff), {}}, proxies);
        return c ? c->to_string() : std::string("refused");
    };
    CHECK(client("127.0.0.9", {"192.0.2.7"}) == "192.0.2.7");
    CHECK(client("127.0.0.5", {"192.0.2.7"}) == "127.0.0.5");  // not a proxy
    CHECK(client("127.0.0.9", {"198.51.100.1, 192.0.2.7, 127.0.0.8"}) == "192.0.2.7");
    CHECK(client("127.0.0.9", {}) == "127.0.0.9");
    CHECK(client("127.0.0.9", {"junk"}) == "refused");  // never the proxy's own address
    CHECK(client("127.0.0.9", {"2001:db8::1"}) == "2001:db8::1");
    // A client's own line before the proxy's (HAProxy adds a separate line): the lines are
    // one list in order, walked from the right, so the proxy's entry wins.
    CHECK(client("127.0.0.9", {"10.0.0.1", "192.0.2.7"}) == "192.0.2.7");
    CHECK(client("127.0.0.9", {"10.0.0.1, 127.0.0.8", "192.0.2.7"}) == "192.0.2.7");
}

TEST_CASE("Forwarded (RFC 7239) is read the same way; both kinds at once are refused", "[doh]") {
    namespace ip = boost::asio::ip;
    std::vector<ip::address> proxies{ip::make_address("127.0.0.9")};
    auto client = [&](std::vector<std::string_view> xff, std::vector<std::string_view> fwd) {
        auto c = forwarded_client(ip::make_address("127.0.0.9"),
                                  ProxyHeaders{std::move(xff), std::move(fwd)}, proxies);
        return c ? c->to_string() : std::string("refused");
    };
    CHECK(client({}, {"for=192.0.2.60;proto=https;by=203.0.113.43"}) == "192.0.2.60");
    CHECK(client({}, {"For=\"[2001:db8:cafe::17]:4711\""}) == "2001:db8:cafe::17");
    CHECK(client({}, {"for=198.51.100.1, for=\"192.0.2.60:8080\""}) == "192.0.2.60");
    CHECK(client({}, {"for=_hidden"}) == "refused");  // obfuscated: the client is unknown
    CHECK(client({}, {"for=unknown"}) == "refused");
    CHECK(client({}, {"proto=https"}) == "refused");
    CHECK(client({"192.0.2.7"}, {"for=192.0.2.60"}) == "refused");
}

TEST_CASE("[tls] settings are checked with file:line", "[doh][config]") {
    using port53::conf::ConfigError;
    using port53::conf::parse_config;
    auto def = parse_config("", "t.toml");
    CHECK(def.tls.certificate.empty());  // DoT/DoH off unless a certificate is configured
    CHECK(def.tls.dot_doh.doh_path == "/dns-query");
    CHECK(def.tls.doh_http_listen.empty());
    auto ok = parse_config(
        "[tls]\ncertificate = \"c.pem\"\nprivate_key = \"k.pem\"\n"
        "dot_listen = [\"127.0.0.1:8853\"]\ndoh_path = \"/q\"\n"
        "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n",
        "t.toml");
    CHECK(ok.tls.dot_listen == std::vector<std::string>{"127.0.0.1:8853"});
    CHECK(ok.tls.dot_doh.trusted_proxies.size() == 2);
    CHECK_THROWS_WITH(parse_config("[tls]\ncertificate = \"c.pem\"\n", "t.toml"),
                      Catch::Contains("t.toml:2:") && Catch::Contains("private_key"));
    CHECK_THROWS_WITH(parse_config("[tls]\n\ndoh_path = \"dns-query\"\n", "t.toml"),
                      Catch::Contains("t.toml:3:") && Catch::Contains("doh_path"));
    CHECK_THROWS_WITH(parse_config("[tls]\ntrusted_proxies = [\"proxy.example\"]\n", "t.toml"),
                      Catch::Contains("t.toml:2:") && Catch::Contains("proxy.example"));
    CHECK_THROWS_WITH(parse_config("[tls]\ndoh_listen = [\"localhost:443\"]\n", "t.toml"),
                      Catch::Contains("t.toml:2:") && Catch::Contains("tls.doh_listen"));
    CHECK_THROWS_AS(parse_config("[tls]\ndoh_max_streams = 0\n", "t.toml"), ConfigError);
}

TEST_CASE("nghttp2's blocks are recycled by size class, kept within a bound", "[doh]") {
    Nghttp2Pool pool;
    nghttp2_mem* mem = pool.mem();
    void* a = mem->malloc(100, mem->mem_user_data);
    REQUIRE(a);
    std::memset(a, 0xAB, 100);
    mem->free(a, mem->mem_user_data);
    CHECK(pool.kept_bytes() == 128);
    void* b = mem->malloc(120, mem->mem_user_data);  // the same class: the same block
    CHECK(b == a);
    CHECK(pool.kept_bytes() == 0);
    auto* z = static_cast<unsigned char*>(mem->calloc(10, 10, mem->mem_user_data));
    REQUIRE(z);
    CHECK(std::all_of(z, z + 100, [](unsigned char c) { return c == 0; }));
    std::memcpy(b, "abcdef", 6);
    void* grown = mem->realloc(b, 5000, mem->mem_user_data);  // past the classes
    REQUIRE(grown);
    CHECK(std::memcmp(grown, "abcdef", 6) == 0);
    CHECK(pool.kept_bytes() == 128);  // the old block went back
    mem->free(grown, mem->mem_user_data);
    CHECK(pool.kept_bytes() == 128);                      // a big block is not kept
    CHECK(mem->realloc(z, 50, mem->mem_user_data) == z);  // fits where it is
    mem->free(z, mem->mem_user_data);
    // However much is freed, a session keeps at most kMaxKept.
    std::vector<void*> many;
    for (int i = 0; i < 4000; ++i) many.push_back(pool.allocate(1000));
    for (void* p : many) pool.release(p);
    CHECK(pool.kept_bytes() <= Nghttp2Pool::kMaxKept);
    CHECK(pool.kept_bytes() > Nghttp2Pool::kMaxKept - 1024);
}
