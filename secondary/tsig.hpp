// TSIG (RFC 8945): HMAC-SHA256 and HMAC-SHA512 signatures over DNS messages, for zone
// transfers and NOTIFY between this secondary and its primaries. Computed here with OpenSSL
// over the digest input RFC 8945 §4.3 defines, rather than through ldns: ldns_pkt_tsig_*
// works on ldns_pkt objects and re-renders them, and its multi-message support
// (ldns_pkt_tsig_verify_next) cannot take the unsigned intermediate messages §5.3.1 allows.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/name.hpp"

namespace port53::secondary {

enum class TsigAlgorithm { hmac_sha256, hmac_sha512 };
std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text);
const char* tsig_algorithm_text(TsigAlgorithm a);  // "hmac-sha256"

struct TsigKey {
    wire::Name name;
    TsigAlgorithm algorithm = TsigAlgorithm::hmac_sha256;
    std::string secret;  // the raw key bytes
};

// RFC 4648 base64, whitespace ignored; nothing if it is not base64.
std::optional<std::string> decode_base64(std::string_view text);

namespace tsig_error {  // RFC 8945 §4.3.3, the TSIG RR's Error field
constexpr uint16_t BADSIG = 16, BADKEY = 17, BADTIME = 18, BADTRUNC = 22;
}
constexpr uint16_t kTsigFudge = 300;  // seconds of clock difference allowed (§10)

// Appends a TSIG record to `msg` (ARCOUNT + 1) signed at `now` (Unix seconds). A response
// passes the MAC of the request it answers (§4.3.2). Returns the MAC.
std::string tsig_sign(std::vector<uint8_t>& msg, const TsigKey& key, uint64_t now,
                      std::string_view request_mac = {});
// A later message of a multi-message response (§5.3.1): chained to the MAC of the message
// signed before it, over the unsigned messages between (concatenated) and the timers only.
std::string tsig_sign_next(std::vector<uint8_t>& msg, const TsigKey& key, uint64_t now,
                           std::string_view prior_mac, std::string_view unsigned_between = {});

// The TSIG record at the end of a message, as read (§4.2: it must be the last record).
struct TsigRecord {
    std::size_t start = 0;  // offset of its owner name: the message without it ends here
    wire::Name key_name;
    wire::Name algorithm;
    uint64_t time_signed = 0;
    uint16_t fudge = 0;
    std::string mac;
    uint16_t original_id = 0;
    uint16_t error = 0;
    std::string other;
};
// Nothing when the message carries no TSIG (or is malformed).
std::optional<TsigRecord> find_tsig(std::span<const uint8_t> msg);

enum class TsigCheck { ok, unsigned_message, bad_key, bad_sig, bad_time, peer_error };
const char* tsig_check_text(TsigCheck c);

// Checks the messages of one exchange in order: a request (no request MAC), or the responses
// to a signed request, where later messages of a transfer chain to the MAC before them
// (§5.3.1) and up to 99 of them in a row may be unsigned.
class TsigVerifier {
  public:
    TsigVerifier(const TsigKey& key, std::string request_mac, uint64_t now)
        : key_(key), prior_mac_(std::move(request_mac)), now_(now) {}
    TsigCheck next(std::span<const uint8_t> msg);
    // The time messages are checked against from now on (a transfer may take minutes).
    void set_now(uint64_t now) { now_ = now; }
    // The last message checked was signed (a transfer must end with a signed one).
    bool last_signed() const { return last_signed_; }
    const std::string& mac() const { return prior_mac_; }
    const std::optional<TsigRecord>& record() const { return record_; }

  private:
    const TsigKey& key_;
    std::string prior_mac_;
    uint64_t now_;
    std::string pending_;  // unsigned messages since the last signed one
    int unsigned_run_ = 0;
    bool first_ = true;
    bool last_signed_ = false;
    std::optional<TsigRecord> record_;
};

}  // namespace port53::secondary
