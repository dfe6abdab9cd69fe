// The query file: dnsperf's format ("name type" per line, '#' comments), encoded once into
// wire-form queries so that the send loop only copies bytes and sets the ID.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace port53::loadgen {

constexpr std::size_t kHeaderLen = 12;

struct QueryOptions {
    bool edns = false;       // add an OPT record (RFC 6891), UDP size 1232
    bool dnssec_ok = false;  // and set its DO bit (RFC 3225); implies edns
    bool recursion = true;   // RD
};

// All queries back to back; query i is bytes [offsets[i], offsets[i + 1]). Each starts with
// a 12-byte header whose ID is 0 (the sender writes its own).
class QuerySet {
  public:
    std::size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
    std::span<const uint8_t> query(std::size_t i) const {
        return {bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
    }
    // The question section (name, type, class) of query i, what a response must echo.
    std::span<const uint8_t> question(std::size_t i) const {
        return {bytes_.data() + offsets_[i] + kHeaderLen, question_len_[i]};
    }
    std::size_t max_size() const { return max_size_; }

    void add(std::span<const uint8_t> wire, std::size_t question_len);

  private:
    std::vector<uint8_t> bytes_;
    std::vector<std::size_t> offsets_;
    std::vector<uint16_t> question_len_;
    std::size_t max_size_ = 0;
};

// One line into a query appended to `out`; false (and `error` says why) if the line is
// malformed. Blank lines and comments are no queries: `skipped` is set for them.
bool encode_line(std::string_view line, const QueryOptions& opt, std::vector<uint8_t>& out,
                 std::size_t& question_len, bool& skipped, std::string& error);

// The whole text of a query file; `error` names the first bad line ("line 3: ...").
bool parse_query_text(std::string_view text, const QueryOptions& opt, QuerySet& out,
                      std::string& error);
bool load_query_file(const std::string& path, const QueryOptions& opt, QuerySet& out,
                     std::string& error);

}  // namespace port53::loadgen
