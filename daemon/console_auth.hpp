// The web console's login (issue 14): password hashes, sessions and the limit on login
// attempts. Everything here runs on one io_context (the console's): no locks.
#pragma once
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace port53::daemon {

// "$scrypt$ln=15,r=8,p=1$SALT$HASH" (SALT 16 bytes and HASH 32 bytes, base64): scrypt
// (RFC 7914) through OpenSSL, slow on purpose. `port53d --hash-password` prints one.
std::string hash_password(std::string_view password);
// Whether `stored` has that form with sane costs (checked when the configuration is read).
bool valid_password_hash(std::string_view stored);
// The password against a stored hash, compared in constant time.
bool verify_password(std::string_view password, std::string_view stored);

using ConsoleClock = std::chrono::steady_clock;

// Logged-in browsers: an unguessable token (the cookie) with its CSRF token, until they
// expire or log out. Bounded: past `max` the oldest session is closed.
class ConsoleSessions {
  public:
    ConsoleSessions(std::chrono::seconds ttl, std::size_t max) : ttl_(ttl), max_(max) {}
    struct Opened {
        std::string token, csrf;
    };
    Opened open(ConsoleClock::time_point now);
    // The CSRF token of a live session, or nullptr.
    const std::string* csrf_of(std::string_view token, ConsoleClock::time_point now);
    void close(std::string_view token);
    std::chrono::seconds ttl() const { return ttl_; }

  private:
    struct Session {
        std::string csrf;
        ConsoleClock::time_point opened, expires;
    };
    std::chrono::seconds ttl_;
    std::size_t max_;
    std::map<std::string, Session, std::less<>> sessions_;
};

// Failed logins per client address: after `per_minute` failures in a minute that address
// may not try again until the oldest of them is a minute old (a password guesser gets a
// handful of tries a minute, a person who mistyped waits a little). Bounded in addresses.
class LoginLimiter {
  public:
    explicit LoginLimiter(unsigned per_minute) : per_minute_(per_minute) {}
    // Seconds to wait before trying again; 0: may try now.
    unsigned wait_seconds(const std::string& client, ConsoleClock::time_point now);
    void failed(const std::string& client, ConsoleClock::time_point now);
    void succeeded(const std::string& client) { failures_.erase(client); }

  private:
    void forget_old(ConsoleClock::time_point now);
    unsigned per_minute_;
    std::map<std::string, std::vector<ConsoleClock::time_point>> failures_;
};

// `n` random bytes from OpenSSL's generator, as lower-case hex.
std::string random_hex(std::size_t n);

}  // namespace port53::daemon
