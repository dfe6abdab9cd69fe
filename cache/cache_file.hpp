// The cache file's container (port53d writes it on shutdown and on `port53-ctl dump-cache`,
// reads it at start): a header, records, a checksum. Pure functions over bytes, plus the
// atomic write and the bounded read; which cache a record belongs to and what its value
// means is cache_persist's business.
//
// Layout (integers little-endian):
//   magic "PORT53C\n" | version u32 | byte order u32 (0x01020304 as the writer's machine
//   stores it: answer values hold native integers) | written_at u64 (Unix time) |
//   view_caches u32 | records u64 | records... | checksum u64 (FNV-1a 64 of all before it)
//   record: section u8 | key length u16 | value length u32 | expires u64 (Unix time) |
//           key | value
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace port53::cache {

// Bumped whenever the layout above or a cache's value layout changes: an older or newer
// file is then ignored rather than misread.
constexpr uint32_t kCacheFileVersion = 1;

struct CacheFileHeader {
    uint64_t written_at = 0;
    uint32_t view_caches = 0;
    uint64_t records = 0;
};

struct CacheFileRecord {
    uint8_t section = 0;
    std::string_view key;
    std::span<const uint8_t> value;
    uint64_t expires = 0;  // Unix time
};

class CacheFileWriter {
  public:
    CacheFileWriter(uint64_t written_at, uint32_t view_caches);
    void add(uint8_t section, std::string_view key, std::span<const uint8_t> value,
             uint64_t expires);
    std::size_t records() const { return records_; }
    // The whole file; the writer is spent.
    std::vector<uint8_t> finish();

  private:
    std::vector<uint8_t> out_;
    std::size_t records_ = 0;
};

uint64_t cache_file_checksum(std::span<const uint8_t> bytes);

// Checks the whole file (magic, version, byte order, checksum, every record's framing), so
// that a damaged file gives no record at all. Returns the header, or nullopt with `why` set.
std::optional<CacheFileHeader> check_cache_file(std::span<const uint8_t> file, std::string& why);
// The records of a file check_cache_file accepted, in file order.
void cache_file_records(std::span<const uint8_t> file, const CacheFileHeader& header,
                        const std::function<void(const CacheFileRecord&)>& each);

// Replaces `path` atomically: a temporary file in the same directory (mode 0600), fsync,
// rename, fsync of the directory, so a crash leaves the old file or the new one, never half
// of one. Returns an error message, empty on success.
std::string write_file_atomically(const std::string& path, std::span<const uint8_t> bytes);
// The file's bytes, or nullopt with `why` if it cannot be read or is over `max_bytes`.
std::optional<std::vector<uint8_t>> read_file_bounded(const std::string& path,
                                                      std::size_t max_bytes, std::string& why);

}  // namespace port53::cache
