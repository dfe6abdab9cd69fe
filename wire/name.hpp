// A domain name in uncompressed wire form, compared case-insensitively (RFC 4343).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

// The wire module never throws for malformed input: its parsers return std::optional (nullopt
// for anything malformed), and the message parser can say why.
namespace port53::wire {

class Name {
  public:
    Name() : wire_(1, '\0') {}  // the root
    // Presentation form ("www.example.", "example" and "." accepted; \DDD and \X escapes).
    static std::optional<Name> from_text(std::string_view text);
    // Uncompressed wire form; nullopt if it is not exactly one valid name.
    static std::optional<Name> from_wire(std::string_view wire);

    std::string to_text() const;
    std::string_view wire() const { return wire_; }
    std::size_t size() const { return wire_.size(); }
    std::size_t label_count() const;
    bool is_root() const { return wire_.size() == 1; }

    Name parent() const;                    // drops the first label; root stays root
    Name suffix(std::size_t labels) const;  // the last `labels` labels
    std::string_view first_label() const;
    // True if this name equals `zone` or lies below it.
    bool is_subdomain_of(const Name& zone) const;
    // Lower-cased wire form: the key under which caches file this name.
    std::string key() const;
    // "*." and this name: the wildcard directly below it (RFC 4592); nullopt if that would
    // be longer than a name may be.
    std::optional<Name> wildcard() const;
    // Replace the `old_suffix` ending of this name with `new_suffix` (DNAME, RFC 6672).
    std::optional<Name> replace_suffix(const Name& old_suffix, const Name& new_suffix) const;

    friend bool operator==(const Name& a, const Name& b);

  private:
    explicit Name(std::string wire) : wire_(std::move(wire)) {}
    std::string wire_;
};

// Read a possibly compressed name at `pos` in `msg` and advance `pos` past it; nullopt if it
// is malformed (then `pos` is unspecified and `*why`, if given, says what is wrong).
std::optional<Name> read_name(std::span<const uint8_t> msg, std::size_t& pos,
                              const char** why = nullptr);
// Same, writing the lower-cased uncompressed name into `out` (no allocation); returns its
// length, nullopt if it is malformed.
std::optional<std::size_t> read_name_lower(std::span<const uint8_t> msg, std::size_t& pos,
                                           uint8_t (&out)[255]);

}  // namespace port53::wire
