#include "server/activity.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace port53::server;

namespace {

std::vector<uint8_t> wire_name(const std::string& text) {
    std::vector<uint8_t> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t dot = text.find('.', start);
        out.push_back(static_cast<uint8_t>(dot - start));
        out.insert(out.end(), text.begin() + static_cast<long>(start),
                   text.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    out.push_back(0);
    return out;
}

sockaddr_in client(const char* ip) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void ask(Activity& a, const std::string& name, const char* ip, uint16_t rcode = 0, int ede = -1) {
    auto wire = wire_name(name);
    sockaddr_in c = client(ip);
    a.record({now_us(), reinterpret_cast<const sockaddr*>(&c), ClientTransport::udp, wire, 1, rcode,
              ede, false, 10});
}

}  // namespace

TEST_CASE("activity: top names and clients, largest first, blocked apart", "[activity]") {
    Activity a(100);
    for (int i = 0; i < 3; ++i) ask(a, "WWW.Example.", "192.0.2.1");
    ask(a, "mail.example.", "192.0.2.2");
    ask(a, "ads.example.", "192.0.2.2", 3, 15);  // RFC 8914 Blocked
    int64_t hour_ago = now_us() / 1'000'000 - 3600;
    auto names = a.top(Activity::Top::names, hour_ago, 10);
    REQUIRE(names.size() == 3);
    CHECK(names[0].key == "www.example.");  // lower case
    CHECK(names[0].n == 3);
    auto clients = a.top(Activity::Top::clients, hour_ago, 1);
    REQUIRE(clients.size() == 1);
    CHECK(clients[0].key == "192.0.2.1");
    auto blocked = a.top(Activity::Top::blocked, hour_ago, 10);
    REQUIRE(blocked.size() == 1);
    CHECK(blocked[0].key == "ads.example.");
    // Buckets older than asked for are left out.
    CHECK(a.top(Activity::Top::names, hour_ago + 7200, 10).empty());
}

TEST_CASE("activity: a bucket keeps at most kMaxKeys names, the rest as (other)", "[activity]") {
    Activity a(10);
    for (std::size_t i = 0; i < Activity::kMaxKeys + 50; ++i)
        ask(a, "n" + std::to_string(i) + ".example.", "192.0.2.1");
    auto names = a.top(Activity::Top::names, 0, 10'000);
    CHECK(names.size() == Activity::kMaxKeys + 1);
    CHECK(names[0].key == "(other)");
    CHECK(names[0].n == 50);
}

TEST_CASE("activity: the ring keeps the newest, searched by name, client and rcode", "[activity]") {
    Activity a(4);
    for (int i = 0; i < 6; ++i) ask(a, "q" + std::to_string(i) + ".example.", "192.0.2.9");
    ask(a, "gone.example.", "198.51.100.7", 3);
    auto all = a.search({}, 100);
    REQUIRE(all.size() == 4);  // the ring holds four
    CHECK(all[0].name == "gone.example.");
    CHECK(all[0].rcode == "NXDOMAIN");
    CHECK(all[0].type == "A");
    CHECK(a.search({"Q5.EXAMPLE"}, 100).size() == 1);
    CHECK(a.search({"q1."}, 100).empty());  // overwritten
    CHECK(a.search({"198.51.100"}, 100).size() == 1);
    CHECK(a.search({"", "NOERROR"}, 100).size() == 3);
    CHECK(a.search({}, 2).size() == 2);
    CHECK(a.search({"", "", "A"}, 100).size() == 4);
    CHECK(a.search({"", "", "AAAA"}, 100).empty());
    CHECK(a.search({"", "", "", 1}, 100).empty());  // none blocked
    CHECK(a.search({"", "", "", 0}, 100).size() == 4);
}

TEST_CASE("activity: each worker thread records apart; security events by client", "[activity]") {
    Activity a(10);
    std::thread t([&] { ask(a, "other-thread.example.", "192.0.2.3"); });
    t.join();
    ask(a, "this-thread.example.", "192.0.2.4");
    CHECK(a.search({}, 10).size() == 2);
    sockaddr_in c = client("203.0.113.5");
    a.security(SecurityEvent::refused, reinterpret_cast<const sockaddr*>(&c));
    a.security(SecurityEvent::refused, reinterpret_cast<const sockaddr*>(&c));
    a.security(SecurityEvent::tunnel_suspect, nullptr);
    auto refused = a.top(Activity::Top::refused, 0, 10);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].key == "203.0.113.5");
    CHECK(refused[0].n == 2);
    CHECK(a.top(Activity::Top::tunnel_suspects, 0, 10)[0].key == "(unknown)");
}

TEST_CASE("activity: answer latency percentiles over the last minute", "[activity]") {
    Activity a(1000);
    CHECK(a.latency(60).n == 0);
    auto wire = wire_name("x.example.");
    sockaddr_in c = client("192.0.2.1");
    const auto* who = reinterpret_cast<const sockaddr*>(&c);
    for (uint64_t us = 1; us <= 100; ++us)
        a.record({now_us(), who, ClientTransport::udp, wire, 1, 0, -1, true, us});
    // Two minutes old: left out.
    a.record({now_us() - 120'000'000, who, ClientTransport::udp, wire, 1, 0, -1, true, 999'999});
    auto l = a.latency(60);
    CHECK(l.n == 100);
    CHECK(l.p50_us == 50);
    CHECK(l.p95_us == 95);
    CHECK(l.p99_us == 99);
}

TEST_CASE("activity: IPv6 clients are counted and shown as text", "[activity]") {
    Activity a(10);
    sockaddr_in6 c{};
    c.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::53", &c.sin6_addr);
    auto wire = wire_name("v6.example.");
    a.record({now_us(), reinterpret_cast<const sockaddr*>(&c), ClientTransport::udp, wire, 28, 0,
              -1, false, 10});
    a.security(SecurityEvent::rate_limited, reinterpret_cast<const sockaddr*>(&c));
    CHECK(a.top(Activity::Top::clients, 0, 10)[0].key == "2001:db8::53");
    CHECK(a.top(Activity::Top::rate_limited, 0, 10)[0].key == "2001:db8::53");
    CHECK(a.search({"2001:db8::53"}, 10).at(0).type == "AAAA");
}
