#include "upstream/cookies.hpp"

#include <netinet/in.h>

#include <cstring>
#include <fstream>

#include "wire/types.hpp"

namespace port53::upstream {
namespace {

uint64_t rotl(uint64_t x, int b) {
    return (x << b) | (x >> (64 - b));
}

uint64_t load_le64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

struct SipState {
    uint64_t v0, v1, v2, v3;
    void round() {
        v0 += v1;
        v1 = rotl(v1, 13) ^ v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16) ^ v2;
        v0 += v3;
        v3 = rotl(v3, 21) ^ v0;
        v2 += v1;
        v1 = rotl(v1, 17) ^ v2;
        v2 = rotl(v2, 32);
    }
    void absorb(uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

std::span<const uint8_t> address_bytes(const sockaddr* a) {
    if (a && a->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(a);
        return {reinterpret_cast<const uint8_t*>(&in->sin_addr), 4};
    }
    if (a && a->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a);
        return {reinterpret_cast<const uint8_t*>(&in6->sin6_addr), 16};
    }
    return {};
}

}  // namespace

uint64_t siphash24(const CookieSecret& key, std::span<const uint8_t> data) {
    uint64_t k0 = load_le64(key.data()), k1 = load_le64(key.data() + 8);
    SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
               k1 ^ 0x7465646279746573ULL};
    std::size_t whole = data.size() / 8 * 8;
    for (std::size_t i = 0; i < whole; i += 8) s.absorb(load_le64(data.data() + i));
    uint64_t last = uint64_t{data.size() & 0xFF} << 56;
    for (std::size_t i = whole; i < data.size(); ++i)
        last |= uint64_t{data[i]} << (8 * (i - whole));
    s.absorb(last);
    s.v2 ^= 0xFF;
    for (int i = 0; i < 4; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

CookieSecret random_cookie_secret() {
    CookieSecret s{};
    std::ifstream urandom("/dev/urandom", std::ios::binary);
    urandom.read(reinterpret_cast<char*>(s.data()), s.size());
    return s;
}

bool parse_cookie_secret(std::string_view hex, CookieSecret& out) {
    if (hex.size() != 2 * out.size()) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}

void make_server_cookie(std::span<const uint8_t, kClientCookieSize> client_cookie,
                        const sockaddr* client, uint32_t unix_now, const CookieSecret& secret,
                        std::span<uint8_t, kClientCookieSize + kServerCookieSize> out) {
    // Hash input: client cookie | version 1 | reserved 0 0 0 | timestamp | client IP.
    uint8_t input[kClientCookieSize + 8 + 16];
    std::memcpy(input, client_cookie.data(), kClientCookieSize);
    uint8_t* sc = input + kClientCookieSize;
    sc[0] = 1;
    sc[1] = sc[2] = sc[3] = 0;
    wire::store32(sc + 4, unix_now);
    auto ip = address_bytes(client);
    std::memcpy(input + kClientCookieSize + 8, ip.data(), ip.size());
    uint64_t hash = siphash24(secret, {input, kClientCookieSize + 8 + ip.size()});
    std::memcpy(out.data(), input, kClientCookieSize + 8);
    for (int i = 0; i < 8; ++i)
        out[kClientCookieSize + 8 + i] = static_cast<uint8_t>(hash >> (8 * i));
}

std::vector<uint8_t> cookie_option(std::string_view client, std::string_view server) {
    std::vector<uint8_t> o(4);
    wire::store16(&o[0], wire::edns_option::COOKIE);
    wire::store16(&o[2], static_cast<uint16_t>(client.size() + server.size()));
    o.insert(o.end(), client.begin(), client.end());
    o.insert(o.end(), server.begin(), server.end());
    return o;
}

std::array<uint8_t, kClientCookieSize> client_cookie_for(std::span<const uint8_t> server_ip,
                                                         const CookieSecret& secret) {
    uint64_t h = siphash24(secret, server_ip);
    std::array<uint8_t, kClientCookieSize> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(h >> (8 * i));
    return out;
}

}  // namespace port53::upstream
