// DNS cookies (RFC 7873, server cookies as RFC 9018 specifies them): a client cookie we
// send to each authority, and the server cookie we give each client. SipHash-2-4 is the
// keyed hash both use; it is written here because the cache-hit path must not allocate
// (OpenSSL's EVP_MAC would, per call).
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace port53::upstream {

using CookieSecret = std::array<uint8_t, 16>;

// SipHash-2-4 (Aumasson & Bernstein) of `data` under `key`, as a little-endian 64-bit value.
uint64_t siphash24(const CookieSecret& key, std::span<const uint8_t> data);

CookieSecret random_cookie_secret();
// "32 hex digits" → secret; false if malformed.
bool parse_cookie_secret(std::string_view hex, CookieSecret& out);

constexpr std::size_t kClientCookieSize = 8;
constexpr std::size_t kServerCookieSize = 16;  // RFC 9018 §4: version, reserved, time, hash
constexpr std::size_t kMaxCookieOption = 40;   // client cookie + a server cookie of up to 32

// The COOKIE option data of a reply (RFC 9018 §4.2): the client's cookie and a fresh
// server cookie bound to it, the client's address, `unix_now` and our secret. Writes
// kClientCookieSize + kServerCookieSize bytes to `out`.
void make_server_cookie(std::span<const uint8_t, kClientCookieSize> client_cookie,
                        const sockaddr* client, uint32_t unix_now, const CookieSecret& secret,
                        std::span<uint8_t, kClientCookieSize + kServerCookieSize> out);

// A COOKIE option (code, length, data) carrying `client` then `server` cookie bytes.
std::vector<uint8_t> cookie_option(std::string_view client, std::string_view server);

// Our client cookie for one authority (RFC 7873 §4.1): a function of its address and our
// secret, so each server sees a different one and none can be guessed.
std::array<uint8_t, kClientCookieSize> client_cookie_for(std::span<const uint8_t> server_ip,
                                                         const CookieSecret& secret);

}  // namespace port53::upstream
