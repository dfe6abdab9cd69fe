#include "daemon/console_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "secondary/tsig.hpp"

namespace port53::daemon {

namespace {

constexpr unsigned kLogN = 15, kR = 8, kP = 1;  // 32 MiB and ~0.1 s per try (RFC 7914 §2)
constexpr std::size_t kSaltBytes = 16, kHashBytes = 32;
constexpr uint64_t kMaxMemory = 256ull << 20;  // accepted from a configured hash at most
// Many addresses failing at once (a spread-out guesser): past this many they share one entry,
// "*", so memory stays bounded and the limit still holds for them together.
constexpr std::size_t kMaxClients = 1024;

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

struct Parsed {
    unsigned log_n, r, p;
    std::string salt, hash;
};

std::optional<Parsed> parse(std::string_view stored) {
    Parsed out{};
    char salt[64] = {}, hash[96] = {};
    std::string text(stored);
    if (text.size() > 200 ||
        std::sscanf(text.c_str(), "$scrypt$ln=%2u,r=%2u,p=%2u$%63[A-Za-z0-9+/=]$%95[A-Za-z0-9+/=]",
                    &out.log_n, &out.r, &out.p, salt, hash) != 5)
        return std::nullopt;
    auto s = secondary::decode_base64(salt), h = secondary::decode_base64(hash);
    if (!s || !h || s->size() < 8 || h->size() < 16) return std::nullopt;
    // Costs an attacker who can edit the file could make huge: bounded.
    if (out.log_n < 10 || out.log_n > 20 || out.r < 1 || out.r > 16 || out.p < 1 || out.p > 4)
        return std::nullopt;
    out.salt = std::move(*s);
    out.hash = std::move(*h);
    return out;
}

std::string scrypt(std::string_view password, const std::string& salt, unsigned log_n, unsigned r,
                   unsigned p, std::size_t length) {
    std::string out(length, '\0');
    if (EVP_PBE_scrypt(password.data(), password.size(),
                       reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                       uint64_t{1} << log_n, r, p, kMaxMemory,
                       reinterpret_cast<unsigned char*>(out.data()), length) != 1)
        throw std::runtime_error("scrypt failed");
    return out;
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("no random bytes");
    return out;
}

}  // namespace

std::string hash_password(std::string_view password) {
    std::string salt = random_bytes(kSaltBytes);
    std::string hash = scrypt(password, salt, kLogN, kR, kP, kHashBytes);
    return "$scrypt$ln=" + std::to_string(kLogN) + ",r=" + std::to_string(kR) +
           ",p=" + std::to_string(kP) + "$" + base64(salt) + "$" + base64(hash);
}

bool valid_password_hash(std::string_view stored) {
    return parse(stored).has_value();
}

bool verify_password(std::string_view password, std::string_view stored) {
    auto p = parse(stored);
    if (!p) return false;
    std::string tried = scrypt(password, p->salt, p->log_n, p->r, p->p, p->hash.size());
    return CRYPTO_memcmp(tried.data(), p->hash.data(), tried.size()) == 0;
}

std::string random_hex(std::size_t n) {
    static const char* const kHex = "0123456789abcdef";
    std::string bytes = random_bytes(n), out;
    for (unsigned char b : bytes) out += {kHex[b >> 4], kHex[b & 0xF]};
    return out;
}

ConsoleSessions::Opened ConsoleSessions::open(ConsoleClock::time_point now) {
    std::erase_if(sessions_, [now](const auto& s) { return s.second.expires <= now; });
    while (sessions_.size() >= max_) {
        auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
            return a.second.opened < b.second.opened;
        });
        sessions_.erase(oldest);
    }
    Opened o{random_hex(32), random_hex(32)};
    sessions_.emplace(o.token, Session{o.csrf, now, now + ttl_});
    return o;
}

const std::string* ConsoleSessions::csrf_of(std::string_view token, ConsoleClock::time_point now) {
    auto it = sessions_.find(token);
    if (it == sessions_.end()) return nullptr;
    if (it->second.expires <= now) {
        sessions_.erase(it);
        return nullptr;
    }
    return &it->second.csrf;
}

void ConsoleSessions::close(std::string_view token) {
    if (auto it = sessions_.find(token); it != sessions_.end()) sessions_.erase(it);
}

void LoginLimiter::forget_old(ConsoleClock::time_point now) {
    for (auto it = failures_.begin(); it != failures_.end();) {
        std::erase_if(it->second, [now](auto t) { return now - t >= std::chrono::minutes(1); });
        it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
}

unsigned LoginLimiter::wait_seconds(const std::string& client, ConsoleClock::time_point now) {
    forget_old(now);
    auto it = failures_.find(client);
    if (it == failures_.end() && failures_.size() >= kMaxClients) it = failures_.find("*");
    if (it == failures_.end() || it->second.size() < per_minute_) return 0;
    auto since = now - it->second.front();
    return static_cast<unsigned>(
               std::chrono::duration_cast<std::chrono::seconds>(std::chrono::minutes(1) - since)
                   .count()) +
           1;
}

void LoginLimiter::failed(const std::string& client, ConsoleClock::time_point now) {
    forget_old(now);
    const std::string& key =
        failures_.size() >= kMaxClients && !failures_.contains(client) ? "*" : client;
    failures_[key].push_back(now);
}

}  // namespace port53::daemon
