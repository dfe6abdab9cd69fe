#include "daemon/console_auth.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace port53::daemon;
using namespace std::chrono_literals;

TEST_CASE("console password: scrypt hash verifies the password and nothing else", "[console]") {
    std::string h = hash_password("correct horse");
    CHECK(h.starts_with("$scrypt$ln=15,r=8,p=1$"));
    CHECK(valid_password_hash(h));
    CHECK(verify_password("correct horse", h));
    CHECK_FALSE(verify_password("correct hors", h));
    CHECK_FALSE(verify_password("", h));
    CHECK(hash_password("correct horse") != h);  // salted
}

TEST_CASE("console password: malformed or too costly hashes are refused", "[console]") {
    std::string h = hash_password("pw-pw-pw");
    auto salt_and_hash = h.substr(h.find('$', 9));
    for (std::string bad : std::vector<std::string>{
             "", "plain", "$scrypt$ln=15,r=8,p=1$", h.substr(0, h.size() - 3),
             "$scrypt$ln=30,r=8,p=1" + salt_and_hash, "$scrypt$ln=15,r=99,p=1" + salt_and_hash,
             "$scrypt$ln=4,r=8,p=1" + salt_and_hash, "$bcrypt$ln=15,r=8,p=1" + salt_and_hash}) {
        CAPTURE(bad);
        CHECK_FALSE(valid_password_hash(bad));
        CHECK_FALSE(verify_password("pw-pw-pw", bad));
    }
}

TEST_CASE("console sessions: tokens are random, expire, close, and stay bounded", "[console]") {
    ConsoleSessions s(60s, 3);
    auto t0 = ConsoleClock::time_point{} + 1000s;
    auto a = s.open(t0);
    CHECK(a.token.size() == 64);
    CHECK(a.token != a.csrf);
    REQUIRE(s.csrf_of(a.token, t0 + 59s));
    CHECK(*s.csrf_of(a.token, t0 + 59s) == a.csrf);
    CHECK_FALSE(s.csrf_of(a.token, t0 + 60s));  // expired, and forgotten
    CHECK_FALSE(s.csrf_of(a.token, t0));
    auto b = s.open(t0);
    s.close(b.token);
    CHECK_FALSE(s.csrf_of(b.token, t0));
    auto c1 = s.open(t0), c2 = s.open(t0 + 1s), c3 = s.open(t0 + 2s), c4 = s.open(t0 + 3s);
    CHECK_FALSE(s.csrf_of(c1.token, t0 + 4s));  // the oldest made room
    CHECK(s.csrf_of(c2.token, t0 + 4s));
    CHECK(s.csrf_of(c4.token, t0 + 4s));
    CHECK_FALSE(s.csrf_of("", t0));
}

TEST_CASE("console logins: limited per address, a minute after the oldest failure", "[console]") {
    LoginLimiter l(3);
    auto t0 = ConsoleClock::time_point{} + 1000s;
    for (int i = 0; i < 3; ++i) {
        CHECK(l.wait_seconds("192.0.2.1", t0 + std::chrono::seconds(i)) == 0);
        l.failed("192.0.2.1", t0 + std::chrono::seconds(i));
    }
    CHECK(l.wait_seconds("192.0.2.1", t0 + 10s) == 51);
    CHECK(l.wait_seconds("192.0.2.2", t0 + 10s) == 0);
    CHECK(l.wait_seconds("192.0.2.1", t0 + 60s) == 0);  // the first failure aged out
    l.succeeded("192.0.2.1");
    CHECK(l.wait_seconds("192.0.2.1", t0 + 61s) == 0);
}

TEST_CASE("console logins: a spread-out guesser shares one entry past 1024 addresses",
          "[console]") {
    LoginLimiter l(3);
    auto t0 = ConsoleClock::time_point{} + 1000s;
    for (int i = 0; i < 1024; ++i) l.failed("10.0.0." + std::to_string(i), t0);
    for (int i = 0; i < 3; ++i) l.failed("10.1.0." + std::to_string(i), t0);
    CHECK(l.wait_seconds("10.1.0.99", t0 + 1s) > 0);
    CHECK(l.wait_seconds("10.0.0.5", t0 + 1s) == 0);  // one failure each
}
