// Renders DNS messages with name compression (RFC 1035 §4.1.4).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "wire/message.hpp"
#include "wire/types.hpp"

namespace port53::wire {

enum class Section { answer, authority, additional };

class MessageBuilder {
  public:
    // `max_size` bounds the message; add() refuses a record that would not fit.
    explicit MessageBuilder(std::size_t max_size = kMaxMessageSize);

    void header(uint16_t id, uint16_t flags);
    void question(const Name& name, uint16_t type, uint16_t cls);
    // Records must be added answer → authority → additional. False if it did not fit.
    bool add(Section s, const Record& rec);
    // OPT pseudo-record (RFC 6891); always last.
    // `options`: OPT RDATA (code, length, data, ...) to carry, e.g. a COOKIE.
    bool add_opt(uint16_t udp_size, bool dnssec_ok, uint8_t extended_rcode = 0,
                 std::span<const uint8_t> options = {});
    void set_flags(uint16_t flags);

    std::size_t size() const { return buf_.size(); }
    // Offsets of every TTL field written, for TTL rewriting of cached answers.
    const std::vector<uint16_t>& ttl_offsets() const { return ttl_offsets_; }
    const std::vector<uint8_t>& bytes() const { return buf_; }
    std::vector<uint8_t> take() { return std::move(buf_); }

  private:
    void put16(uint16_t v);
    void put32(uint32_t v);
    void put_name(const Name& n, bool compress);
    // Re-encodes the names in the rdata of `rec` (a type rdata_compressible() names) so they
    // can point at earlier ones; false, with nothing of it added, if the rdata does not hold
    // the names its type promises.
    bool put_rdata_compressed(const Record& rec);
    void bump(std::size_t count_offset);

    std::size_t max_;
    std::vector<uint8_t> buf_;
    std::vector<uint16_t> ttl_offsets_;
    std::vector<std::pair<std::string, uint16_t>> suffixes_;  // lower-cased suffix → offset
};

// A minimal response to `query` with only header and question (FORMERR, NOTIMP, SERVFAIL...).
// Returns an empty vector when the query is too short to hold a header.
std::vector<uint8_t> error_response(std::span<const uint8_t> query, uint16_t rcode);

}  // namespace port53::wire
