#include "secondary/tsig.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wire/types.hpp"

namespace port53::secondary {
namespace {

constexpr uint16_t kTypeTsig = 250;
constexpr uint16_t kClassAny = 255;

void put16(std::string& out, uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
}
void put48(std::string& out, uint64_t v) {
    for (int shift = 40; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

const EVP_MD* digest_of(TsigAlgorithm a) {
    return a == TsigAlgorithm::hmac_sha512 ? EVP_sha512() : EVP_sha256();
}

wire::Name algorithm_name(TsigAlgorithm a) {
    return *wire::Name::from_text(tsig_algorithm_text(a));
}

std::string hmac(const TsigKey& key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(digest_of(key.algorithm), key.secret.data(), static_cast<int>(key.secret.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

// §4.3.3: the TSIG variables, names in canonical (lower-case) form.
std::string variables(const wire::Name& key_name, const wire::Name& alg, uint64_t time,
                      uint16_t fudge, uint16_t error, std::string_view other) {
    std::string out = key_name.key();
    put16(out, kClassAny);
    out.append(4, '\0');  // TTL 0
    out += alg.key();
    put48(out, time);
    put16(out, fudge);
    put16(out, error);
    put16(out, static_cast<uint16_t>(other.size()));
    out += other;
    return out;
}

// §4.3.2: a MAC that goes into the next digest, prefixed with its length.
std::string prefixed(std::string_view mac) {
    std::string out;
    put16(out, static_cast<uint16_t>(mac.size()));
    out += mac;
    return out;
}

// The message as it was before the TSIG was added: without it, ARCOUNT one less, and the
// original ID back (a forwarder may have changed it, §4.3.3).
std::string stripped(std::span<const uint8_t> msg, const TsigRecord& t) {
    std::string out(reinterpret_cast<const char*>(msg.data()), t.start);
    auto* p = reinterpret_cast<uint8_t*>(out.data());
    wire::store16(p, t.original_id);
    wire::store16(p + 10, static_cast<uint16_t>(wire::load16(p + 10) - 1));
    return out;
}

bool skip_record(std::span<const uint8_t> msg, std::size_t& pos) {
    if (!wire::read_name(msg, pos) || pos + 10 > msg.size()) return false;
    pos += 10 + wire::load16(&msg[pos + 8]);
    return pos <= msg.size();
}

std::optional<TsigRecord> read_tsig_rdata(std::span<const uint8_t> msg, std::size_t pos,
                                          std::size_t end, TsigRecord t) {
    auto alg = wire::read_name(msg, pos);
    if (!alg || pos + 10 > end) return std::nullopt;
    t.algorithm = *alg;
    for (int i = 0; i < 6; ++i) t.time_signed = t.time_signed << 8 | msg[pos + i];
    t.fudge = wire::load16(&msg[pos + 6]);
    std::size_t mac_len = wire::load16(&msg[pos + 8]);
    pos += 10;
    if (pos + mac_len + 6 > end) return std::nullopt;
    t.mac.assign(reinterpret_cast<const char*>(&msg[pos]), mac_len);
    pos += mac_len;
    t.original_id = wire::load16(&msg[pos]);
    t.error = wire::load16(&msg[pos + 2]);
    std::size_t other_len = wire::load16(&msg[pos + 4]);
    pos += 6;
    if (pos + other_len != end) return std::nullopt;
    t.other.assign(reinterpret_cast<const char*>(&msg[pos]), other_len);
    return t;
}

}  // namespace

std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text) {
    if (text.ends_with('.')) text.remove_suffix(1);
    if (text == "hmac-sha256") return TsigAlgorithm::hmac_sha256;
    if (text == "hmac-sha512") return TsigAlgorithm::hmac_sha512;
    return std::nullopt;
}

const char* tsig_algorithm_text(TsigAlgorithm a) {
    return a == TsigAlgorithm::hmac_sha512 ? "hmac-sha512" : "hmac-sha256";
}

std::optional<std::string> decode_base64(std::string_view text) {
    std::string clean;
    for (char c : text)
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') clean.push_back(c);
    if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
    std::string out(clean.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(clean.data()),
                            static_cast<int>(clean.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t pad = clean.ends_with("==") ? 2 : clean.ends_with('=') ? 1 : 0;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

namespace {

// Appends the TSIG record carrying `mac` (ARCOUNT + 1).
void append_tsig(std::vector<uint8_t>& msg, const TsigKey& key, uint64_t now,
                 const std::string& mac) {
    std::string rr(key.name.wire());
    put16(rr, kTypeTsig);
    put16(rr, kClassAny);
    rr.append(4, '\0');
    std::string rdata(algorithm_name(key.algorithm).wire());
    put48(rdata, now);
    put16(rdata, kTsigFudge);
    rdata += prefixed(mac);
    put16(rdata, wire::load16(msg.data()));  // original ID
    put16(rdata, 0);                         // error
    put16(rdata, 0);                         // other len
    put16(rr, static_cast<uint16_t>(rdata.size()));
    rr += rdata;
    msg.insert(msg.end(), rr.begin(), rr.end());
    wire::store16(&msg[10], static_cast<uint16_t>(wire::load16(&msg[10]) + 1));
}

}  // namespace

std::string tsig_sign(std::vector<uint8_t>& msg, const TsigKey& key, uint64_t now,
                      std::string_view request_mac) {
    std::string data = request_mac.empty() ? std::string() : prefixed(request_mac);
    data.append(reinterpret_cast<const char*>(msg.data()), msg.size());
    data += variables(key.name, algorithm_name(key.algorithm), now, kTsigFudge, 0, {});
    std::string mac = hmac(key, data);
    append_tsig(msg, key, now, mac);
    return mac;
}

std::string tsig_sign_next(std::vector<uint8_t>& msg, const TsigKey& key, uint64_t now,
                           std::string_view prior_mac, std::string_view unsigned_between) {
    std::string data = prefixed(prior_mac);
    data += unsigned_between;
    data.append(reinterpret_cast<const char*>(msg.data()), msg.size());
    put48(data, now);
    put16(data, kTsigFudge);
    std::string mac = hmac(key, data);
    append_tsig(msg, key, now, mac);
    return mac;
}

std::optional<TsigRecord> find_tsig(std::span<const uint8_t> msg) {
    if (msg.size() < wire::kHeaderSize) return std::nullopt;
    std::size_t pos = wire::kHeaderSize;
    for (uint16_t i = 0, n = wire::load16(&msg[4]); i < n; ++i) {
        if (!wire::read_name(msg, pos) || pos + 4 > msg.size()) return std::nullopt;
        pos += 4;
    }
    std::size_t records =
        std::size_t{wire::load16(&msg[6])} + wire::load16(&msg[8]) + wire::load16(&msg[10]);
    if (wire::load16(&msg[10]) == 0) return std::nullopt;
    for (std::size_t i = 0; i + 1 < records; ++i)
        if (!skip_record(msg, pos)) return std::nullopt;
    TsigRecord t;
    t.start = pos;
    auto owner = wire::read_name(msg, pos);
    if (!owner || pos + 10 > msg.size() || wire::load16(&msg[pos]) != kTypeTsig)
        return std::nullopt;
    t.key_name = *owner;
    std::size_t end = pos + 10 + wire::load16(&msg[pos + 8]);
    if (end != msg.size()) return std::nullopt;
    return read_tsig_rdata(msg, pos + 10, end, std::move(t));
}

const char* tsig_check_text(TsigCheck c) {
    switch (c) {
        case TsigCheck::ok:
            return "ok";
        case TsigCheck::unsigned_message:
            return "not signed";
        case TsigCheck::bad_key:
            return "signed with another key or algorithm (BADKEY)";
        case TsigCheck::bad_sig:
            return "signature does not verify (BADSIG)";
        case TsigCheck::bad_time:
            return "signed too long ago or ahead (BADTIME)";
        case TsigCheck::peer_error:
            return "the peer refused our signature";
    }
    return "?";
}

TsigCheck TsigVerifier::next(std::span<const uint8_t> msg) {
    record_ = find_tsig(msg);
    if (!record_) {
        // §5.3.1: intermediate messages may go unsigned, at most 99 in a row.
        if (first_ || ++unsigned_run_ > 99) return TsigCheck::unsigned_message;
        pending_.append(reinterpret_cast<const char*>(msg.data()), msg.size());
        last_signed_ = false;
        return TsigCheck::ok;
    }
    const TsigRecord& t = *record_;
    if (!(t.key_name == key_.name) || !(t.algorithm == algorithm_name(key_.algorithm)))
        return TsigCheck::bad_key;
    if (t.error != 0) return TsigCheck::peer_error;
    std::string data = prior_mac_.empty() ? std::string() : prefixed(prior_mac_);
    data += pending_;
    data += stripped(msg, t);
    if (first_) {
        data += variables(t.key_name, t.algorithm, t.time_signed, t.fudge, t.error, t.other);
    } else {
        put48(data, t.time_signed);  // §5.3.1: the timers only
        put16(data, t.fudge);
    }
    std::string want = hmac(key_, data);
    // Truncated MACs (§5.2.2.1) are not accepted: both NSD and Knot send the full one.
    if (t.mac.size() != want.size() || CRYPTO_memcmp(t.mac.data(), want.data(), want.size()) != 0)
        return TsigCheck::bad_sig;
    uint64_t skew = now_ > t.time_signed ? now_ - t.time_signed : t.time_signed - now_;
    if (skew > t.fudge) return TsigCheck::bad_time;
    prior_mac_ = t.mac;
    pending_.clear();
    unsigned_run_ = 0;
    first_ = false;
    last_signed_ = true;
    return TsigCheck::ok;
}

}  // namespace port53::secondary
