// The query log's line format, client anonymisation, the writer thread (drops, reopen), and
// the security-event limiter (issue 12).
#include <arpa/inet.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "server/dnstap.hpp"
#include "server/query_log.hpp"
#include "server/security_log.hpp"
#include "wire/builder.hpp"
#include "wire/name.hpp"

using namespace port53;
using namespace port53::server;

namespace {

const sockaddr* sa(const sockaddr_in& s) {
    return reinterpret_cast<const sockaddr*>(&s);
}

sockaddr_in6 ipv6_client(const char* ip) {
    sockaddr_in6 s{};
    s.sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, ip, &s.sin6_addr) == 1);
    return s;
}

std::string wire_of(const char* text) {
    return std::string(wire::Name::from_text(text).value().wire());
}

std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("query log: JSON escaping of odd names", "[logs]") {
    std::string out;
    append_json_string(out, std::string_view("a\"b\\c\n\x01\xff", 8));
    CHECK(out == R"("a\"b\\c\u000a\u0001\u00ff")");
    // A label holding a dot, a quote and a byte above 0x7e: presentation escapes first
    // (RFC 4343), then JSON's.
    std::string odd = std::string("\x05") + "a.b\"\xe9" + "\x07" + "example" + '\0';
    auto v4 = test::ipv4_client("192.0.2.77");
    QueryRecord r{
        1'700'000'000'123'456, sa(v4), ClientTransport::doh, bytes(odd), 16, 3, 18, false, 1234};
    std::string line = format_query_line(r, QueryLogSettings{});
    CHECK(line ==
          R"({"time":"2023-11-14T22:13:20.123456Z","client":"192.0.2.77","transport":"doh",)"
          R"("name":"a\\.b\\\"\\233.example.","type":16,"rcode":3,"ede":18,"cache":false,)"
          R"("latency_us":1234})"
          "\n");
}

TEST_CASE("query log: clients cut to the configured prefix", "[logs]") {
    auto v4 = test::ipv4_client("192.0.2.77");
    CHECK(anonymised_address(sa(v4), 32, 128) == "192.0.2.77");
    CHECK(anonymised_address(sa(v4), 24, 128) == "192.0.2.0");
    CHECK(anonymised_address(sa(v4), 20, 128) == "192.0.0.0");
    CHECK(anonymised_address(sa(v4), 0, 128) == "0.0.0.0");
    auto v6 = ipv6_client("2001:db8:1234:5678::9");
    const auto* s6 = reinterpret_cast<const sockaddr*>(&v6);
    CHECK(anonymised_address(s6, 24, 128) == "2001:db8:1234:5678::9");
    CHECK(anonymised_address(s6, 24, 48) == "2001:db8:1234::");
    CHECK(anonymised_address(s6, 24, 36) == "2001:db8:1000::");
    CHECK(anonymised_address(nullptr, 24, 48).empty());
    // The line carries the cut address, never the whole one.
    std::string x = wire_of("x.");  // named: the record's span must not outlive it
    QueryRecord r{0, sa(v4), ClientTransport::udp, bytes(x), 1, 0, -1, true, 5};
    QueryLogSettings s;
    s.anonymise_v4_prefix = 24;
    std::string line = format_query_line(r, s);
    CHECK(line.find(R"("client":"192.0.2.0")") != std::string::npos);
    CHECK(line.find("192.0.2.77") == std::string::npos);
    CHECK(line.find("\"ede\"") == std::string::npos);
    CHECK(line.find(R"("cache":true)") != std::string::npos);
}

TEST_CASE("query log: a reply's rcode, extended rcode and EDE", "[logs]") {
    auto q = wire::Name::from_text("example.").value();
    wire::MessageBuilder plain(512);
    plain.header(1, wire::flag::QR | wire::rcode::NXDOMAIN);
    plain.question(q, 1, 1);
    ReplySummary s = summarise_reply(plain.bytes());
    CHECK(s.rcode == wire::rcode::NXDOMAIN);
    CHECK(s.ede == -1);
    CHECK(summarise_reply({}).rcode == 0);
}

TEST_CASE("query log: lines reach the file; reopen writes a new file after a move", "[logs]") {
    auto dir = std::filesystem::temp_directory_path() / ("p53-qlog-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    QueryLogSettings s;
    s.file = (dir / "q.log").string();
    auto v4 = test::ipv4_client("127.0.0.1");
    std::string name = wire_of("one.example.");
    {
        QueryLog log(s);
        log.write({0, sa(v4), ClientTransport::udp, bytes(name), 1, 0, -1, true, 3});
        log.flush();
        CHECK(read_file(s.file).find("one.example.") != std::string::npos);
        std::filesystem::rename(s.file, dir / "q.log.1");
        log.reopen();
        log.flush();  // the reopen happens on the writer thread, before the flush returns
        name = wire_of("two.example.");
        log.write({0, sa(v4), ClientTransport::tcp, bytes(name), 1, 0, -1, false, 3});
        log.flush();
        CHECK(log.written() == 2);
        CHECK(log.dropped() == 0);
    }
    CHECK(read_file(dir / "q.log.1").find("two.example.") == std::string::npos);
    CHECK(read_file(s.file).find("two.example.") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("query log: a full buffer drops lines and counts them, never blocks", "[logs]") {
    auto dir = std::filesystem::temp_directory_path() / ("p53-qdrop-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    QueryLogSettings s;
    s.file = (dir / "q.log").string();
    s.buffer_kb = 4;  // about 30 lines
    auto v4 = test::ipv4_client("127.0.0.1");
    std::string name = wire_of("www.example.");
    QueryLog log(s);
    // Far faster than the writer's 100 ms drain: most of these cannot fit.
    for (int i = 0; i < 1000; ++i)
        log.write({0, sa(v4), ClientTransport::udp, bytes(name), 1, 0, -1, true, 1});
    log.flush();
    CHECK(log.dropped() > 0);
    CHECK(log.written() + log.dropped() == 1000);
    std::string text = read_file(s.file);
    CHECK(static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')) == log.written());
    std::filesystem::remove_all(dir);
}

TEST_CASE("security events: at most N a second, the rest counted and reported", "[logs]") {
    EventLimiter l(3);
    uint64_t suppressed = 99;
    int admitted = 0;
    for (int i = 0; i < 100; ++i) admitted += l.admit(1000, suppressed);
    CHECK(admitted == 3);
    CHECK(suppressed == 0);
    // The next second: room again, and the first line reports the 97 left out.
    CHECK(l.admit(1001, suppressed));
    CHECK(suppressed == 97);
    CHECK(l.admit(1001, suppressed));
    CHECK(suppressed == 0);
    EventLimiter none(0);
    CHECK_FALSE(none.admit(5, suppressed));
}

namespace {

// A protobuf reader for the test: each field's number with its varint value or its bytes.
struct Field {
    int number;
    uint64_t value = 0;
    std::vector<uint8_t> bytes;
};

uint64_t varint(const std::vector<uint8_t>& b, std::size_t& pos) {
    uint64_t v = 0;
    for (int shift = 0; pos < b.size(); shift += 7) {
        uint8_t byte = b[pos++];
        v |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) break;
    }
    return v;
}

std::vector<Field> fields(const std::vector<uint8_t>& b) {
    std::vector<Field> out;
    for (std::size_t pos = 0; pos < b.size();) {
        uint64_t tag = varint(b, pos);
        Field f{static_cast<int>(tag >> 3), 0, {}};
        switch (tag & 7) {
            case 0:
                f.value = varint(b, pos);
                break;
            case 5:
                for (int i = 0; i < 4; ++i) f.value |= static_cast<uint64_t>(b[pos++]) << (8 * i);
                break;
            case 2: {
                auto len = static_cast<std::size_t>(varint(b, pos));
                REQUIRE(pos + len <= b.size());
                f.bytes.assign(b.begin() + static_cast<long>(pos),
                               b.begin() + static_cast<long>(pos + len));
                pos += len;
                break;
            }
            default:
                FAIL("unexpected wire type");
        }
        out.push_back(std::move(f));
    }
    return out;
}

const Field& field(const std::vector<Field>& fs, int number) {
    for (const auto& f : fs)
        if (f.number == number) return f;
    FAIL("no field " << number);
    return fs.front();
}

}  // namespace

TEST_CASE("dnstap: a client response encodes the schema's fields", "[logs]") {
    auto client = test::ipv4_client("192.0.2.1");
    client.sin_port = htons(5353);
    std::vector<uint8_t> reply{0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0};
    DnstapEvent e{DnstapType::client_response, DnstapProtocol::doh,       sa(client),
                  1'700'000'000'000'000'123,   1'700'000'001'000'000'456, reply};
    auto top = fields(encode_dnstap(e, "id", "port53 1.0"));
    CHECK(field(top, 15).value == 1);  // type MESSAGE
    CHECK(field(top, 1).bytes == std::vector<uint8_t>{'i', 'd'});
    CHECK(field(top, 2).bytes.size() == 10);
    auto m = fields(field(top, 14).bytes);
    CHECK(field(m, 1).value == 6);  // CLIENT_RESPONSE
    CHECK(field(m, 2).value == 1);  // INET
    CHECK(field(m, 3).value == 4);  // DOH
    CHECK(field(m, 4).bytes == std::vector<uint8_t>{192, 0, 2, 1});
    CHECK(field(m, 6).value == 5353);
    CHECK(field(m, 8).value == 1'700'000'000);
    CHECK(field(m, 9).value == 123);
    CHECK(field(m, 12).value == 1'700'000'001);
    CHECK(field(m, 13).value == 456);
    CHECK(field(m, 14).bytes == reply);
    for (const auto& f : m) CHECK(f.number != 10);  // no query message in a response
}

TEST_CASE("dnstap: a resolver query names the server it went to", "[logs]") {
    auto server = ipv6_client("2001:db8::53");
    server.sin6_port = htons(53);
    std::vector<uint8_t> query{0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    DnstapEvent e{DnstapType::resolver_query,
                  DnstapProtocol::udp,
                  reinterpret_cast<const sockaddr*>(&server),
                  5'000'000'007,
                  0,
                  query};
    auto m = fields(field(fields(encode_dnstap(e, "", "")), 14).bytes);
    CHECK(field(m, 1).value == 3);  // RESOLVER_QUERY
    CHECK(field(m, 2).value == 2);  // INET6
    CHECK(field(m, 5).bytes.size() == 16);
    CHECK(field(m, 5).bytes[0] == 0x20);
    CHECK(field(m, 7).value == 53);
    CHECK(field(m, 10).bytes == query);
    for (const auto& f : m) CHECK((f.number != 4 && f.number != 12 && f.number != 14));
}
