// Signs a test zone the way a real signer would (RFC 4033-4035, RFC 5155): a KSK signs the
// DNSKEY RRset, a ZSK everything else, and an NSEC or NSEC3 chain proves what is absent.
// The chains are built here (not by ldns) so opt-out and empty non-terminals are exact;
// ldns does the public-key signing. Algorithms port53 does not implement are faked.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wire/message.hpp"

namespace port53::replay {

enum class Denial { nsec, nsec3 };

struct Nsec3Params {
    uint16_t iterations = 0;
    std::string salt;  // raw bytes
    bool opt_out = false;
};

struct SigningOptions {
    uint8_t algorithm = 13;  // ECDSAP256SHA256; 8, 14, 15, 16 too; others get fake keys
    Denial denial = Denial::nsec;
    Nsec3Params nsec3;
    // Signature validity relative to the clock's unix_now (RFC 4034 §3.1.5).
    int64_t inception = -3600;
    int64_t expiration = 30 * 86400;
};

// RFC 4034 §6.1 canonical order of names.
bool canonical_less(const wire::Name& a, const wire::Name& b);
// RFC 5155 §5: the raw SHA-1 hash of a name; and its owner name in `zone` (base32hex label).
std::string nsec3_hash(const wire::Name& name, const Nsec3Params& p);
wire::Name nsec3_owner(const std::string& hash, const wire::Name& zone);
// RFC 4034 §4.1.2 type bit maps.
std::string type_bitmap(std::vector<uint16_t> types);
// RFC 4034 Appendix B.
uint16_t compute_key_tag(std::string_view dnskey_rdata);
// Zone-file text of a record (ldns's presentation), for failure reports.
std::string record_to_text(const wire::Record& r);
// A DS for `dnskey` with digest 1, 2 or 4 (other digest numbers get random bytes).
wire::Record make_ds(const wire::Record& dnskey, uint8_t digest_type = 2);

class ZoneSigner {
  public:
    // Generates the KSK and ZSK once: RSA key generation is slow.
    ZoneSigner(wire::Name apex, SigningOptions options, uint32_t unix_now);
    ~ZoneSigner();
    ZoneSigner(const ZoneSigner&) = delete;
    ZoneSigner& operator=(const ZoneSigner&) = delete;

    const wire::Name& apex() const { return apex_; }
    const SigningOptions& options() const { return options_; }
    std::vector<wire::Record> dnskeys() const;
    wire::Record ksk_ds(uint8_t digest_type = 2) const;

    // The zone with DNSKEY, NSEC3PARAM, the denial chain and every RRSIG added.
    std::vector<wire::Record> sign_zone(std::vector<wire::Record> records) const;
    // RRSIGs over one RRset (the KSK for DNSKEY, the ZSK otherwise).
    std::vector<wire::Record> sign_rrset(const std::vector<wire::Record>& rrset) const;
    // Sets the REVOKE bit of the KSK (RFC 5011 §2.1): its DNSKEY record and key tag change,
    // and it signs the DNSKEY RRset as the revoked key from then on.
    void revoke_ksk();

  private:
    struct Keys;
    std::vector<wire::Record> denial_chain(const std::vector<wire::Record>& records,
                                           uint32_t ttl) const;
    wire::Name apex_;
    SigningOptions options_;
    uint32_t now_;
    std::unique_ptr<Keys> keys_;
};

}  // namespace port53::replay
