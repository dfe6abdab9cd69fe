// Checked, non-owning views of the rdata that the validator and the caches read field by
// field: SOA (RFC 1035 §3.3.13), DNSKEY, RRSIG, NSEC, DS (RFC 4034 §2-5) and NSEC3
// (RFC 5155 §3). parse() checks the layout once and returns nullopt for anything malformed;
// the accessors then read only inside the bounds it checked. Names in these rdata are never
// compressed (RFC 4034 §3.1.7, §4.1.1, §6.2; RFC 3597 §4), so a compression pointer is
// malformed. A view borrows the bytes: it must not outlive the rdata it was parsed from.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire/name.hpp"
#include "wire/types.hpp"

namespace port53::wire {

// The length of the uncompressed name at the start of `data` (labels of at most 63 bytes,
// a root label, at most 255 bytes in all), or nullopt if it does not start with one.
std::optional<std::size_t> uncompressed_name_length(std::string_view data);

// The type bitmap of an NSEC or NSEC3 record (RFC 4034 §4.1.2): blocks of a window number,
// a length (1-32) and the bits of the types in that window.
class TypeBitmap {
  public:
    TypeBitmap() = default;
    explicit TypeBitmap(std::string_view bytes) : bytes_(bytes) {}
    explicit TypeBitmap(std::string&&) = delete;  // would dangle
    // True if `type` is listed. The walk stops at a block that runs past the end: the types
    // it would list count as absent.
    bool has(uint16_t type) const;
    std::string_view bytes() const { return bytes_; }

  private:
    std::string_view bytes_;
};

// What every view shares: the borrowed bytes and big-endian reads inside them.
class RdataView {
  public:
    std::string_view rdata() const { return rdata_; }

  protected:
    explicit RdataView(std::string_view rdata) : rdata_(rdata) {}
    uint8_t u8(std::size_t at) const { return static_cast<uint8_t>(rdata_[at]); }
    uint16_t u16(std::size_t at) const { return load16(bytes() + at); }
    uint32_t u32(std::size_t at) const { return load32(bytes() + at); }
    // A name in bytes that parse() checked (uncompressed_name_length), so it is one.
    static Name checked_name(std::string_view wire) { return Name::from_wire(wire).value(); }

    std::string_view rdata_;

  private:
    const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(rdata_.data()); }
};

// SOA: MNAME, RNAME, then SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM (32 bits each).
class SoaView : public RdataView {
  public:
    static std::optional<SoaView> parse(std::string_view rdata);
    static std::optional<SoaView> parse(std::string&&) = delete;  // would dangle
    Name mname() const { return checked_name(rdata_.substr(0, rname_at_)); }
    Name rname() const { return checked_name(rdata_.substr(rname_at_, counters_at_ - rname_at_)); }
    uint32_t serial() const { return u32(counters_at_); }
    uint32_t refresh() const { return u32(counters_at_ + 4); }
    uint32_t retry() const { return u32(counters_at_ + 8); }
    uint32_t expire() const { return u32(counters_at_ + 12); }
    // The TTL of negative answers from the zone (RFC 2308 §4, §5).
    uint32_t minimum() const { return u32(counters_at_ + 16); }

  private:
    SoaView(std::string_view rdata, std::size_t rname_at, std::size_t counters_at)
        : RdataView(rdata), rname_at_(rname_at), counters_at_(counters_at) {}
    std::size_t rname_at_, counters_at_;
};

// DNSKEY (RFC 4034 §2.1): flags, protocol, algorithm, public key.
class DnskeyView : public RdataView {
  public:
    static std::optional<DnskeyView> parse(std::string_view rdata);
    static std::optional<DnskeyView> parse(std::string&&) = delete;  // would dangle
    uint16_t flags() const { return u16(0); }
    uint8_t protocol() const { return u8(2); }
    uint8_t algorithm() const { return u8(3); }
    std::string_view public_key() const { return rdata_.substr(4); }
    bool zone_key() const { return (flags() & dnskey_flag::ZONE) != 0; }
    bool secure_entry_point() const { return (flags() & dnskey_flag::SEP) != 0; }
    bool revoked() const { return (flags() & dnskey_flag::REVOKE) != 0; }

  private:
    using RdataView::RdataView;
};

// RRSIG (RFC 4034 §3.1): the fixed fields, the signer's name, the signature.
class RrsigView : public RdataView {
  public:
    static std::optional<RrsigView> parse(std::string_view rdata);
    static std::optional<RrsigView> parse(std::string&&) = delete;  // would dangle
    uint16_t type_covered() const { return u16(0); }
    uint8_t algorithm() const { return u8(2); }
    uint8_t labels() const { return u8(3); }
    uint32_t original_ttl() const { return u32(4); }
    uint32_t expiration() const { return u32(8); }
    uint32_t inception() const { return u32(12); }
    uint16_t key_tag() const { return u16(16); }
    std::string_view signer_wire() const { return rdata_.substr(kSignerAt, signer_len_); }
    Name signer() const { return checked_name(signer_wire()); }
    std::string_view signature() const { return rdata_.substr(kSignerAt + signer_len_); }

  private:
    static constexpr std::size_t kSignerAt = 18;
    RrsigView(std::string_view rdata, std::size_t signer_len)
        : RdataView(rdata), signer_len_(signer_len) {}
    std::size_t signer_len_;
};

// DS (RFC 4034 §5.1): key tag, algorithm, digest type, digest.
class DsView : public RdataView {
  public:
    static std::optional<DsView> parse(std::string_view rdata);
    static std::optional<DsView> parse(std::string&&) = delete;  // would dangle
    uint16_t key_tag() const { return u16(0); }
    uint8_t algorithm() const { return u8(2); }
    uint8_t digest_type() const { return u8(3); }
    std::string_view digest() const { return rdata_.substr(4); }

  private:
    using RdataView::RdataView;
};

// NSEC (RFC 4034 §4.1): the next owner name, the type bitmap.
class NsecView : public RdataView {
  public:
    static std::optional<NsecView> parse(std::string_view rdata);
    static std::optional<NsecView> parse(std::string&&) = delete;  // would dangle
    std::string_view next_wire() const { return rdata_.substr(0, next_len_); }
    Name next() const { return checked_name(next_wire()); }
    TypeBitmap types() const { return TypeBitmap(rdata_.substr(next_len_)); }

  private:
    NsecView(std::string_view rdata, std::size_t next_len)
        : RdataView(rdata), next_len_(next_len) {}
    std::size_t next_len_;
};

// NSEC3 (RFC 5155 §3.2): hash algorithm, flags, iterations, salt, the next hashed owner
// name (raw hash bytes), the type bitmap.
class Nsec3View : public RdataView {
  public:
    static std::optional<Nsec3View> parse(std::string_view rdata);
    static std::optional<Nsec3View> parse(std::string&&) = delete;  // would dangle
    uint8_t hash_algorithm() const { return u8(0); }
    uint8_t flags() const { return u8(1); }
    bool opt_out() const { return (flags() & nsec3_flag::OPT_OUT) != 0; }
    uint16_t iterations() const { return u16(2); }
    std::string_view salt() const { return rdata_.substr(kSaltAt, u8(4)); }
    std::string_view next_hashed_owner() const { return rdata_.substr(hash_at_, u8(hash_at_ - 1)); }
    TypeBitmap types() const { return TypeBitmap(rdata_.substr(hash_at_ + u8(hash_at_ - 1))); }

  private:
    static constexpr std::size_t kSaltAt = 5;
    Nsec3View(std::string_view rdata, std::size_t hash_at) : RdataView(rdata), hash_at_(hash_at) {}
    std::size_t hash_at_;  // the hash length byte is just before
};

// The layout of the rdata of types that embed names (RFC 3597 §4: only these may be
// compressed): fixed-size fields (a digit: that many bytes; T: SOA's five 32-bit counters)
// and names (N). Null for the other types.
const char* rdata_name_layout(uint16_t type);

}  // namespace port53::wire
