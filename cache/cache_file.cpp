#include "cache/cache_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace port53::cache {
namespace {

constexpr char kMagic[8] = {'P', 'O', 'R', 'T', '5', '3', 'C', '\n'};
constexpr uint32_t kByteOrder = 0x01020304;
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8 + 4 + 8;
constexpr std::size_t kRecordsAt = kHeaderSize - 8;
constexpr std::size_t kRecordHead = 1 + 2 + 4 + 8;
constexpr std::size_t kChecksumSize = 8;

void put_le(std::vector<uint8_t>& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t get_le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// Walks the records after the header; false if one does not fit or they do not end exactly
// at the checksum. `each` may be null (the framing check).
bool walk(std::span<const uint8_t> body, uint64_t count,
          const std::function<void(const CacheFileRecord&)>* each) {
    std::size_t pos = 0;
    for (uint64_t i = 0; i < count; ++i) {
        if (body.size() - pos < kRecordHead) return false;
        const uint8_t* p = body.data() + pos;
        CacheFileRecord r;
        r.section = p[0];
        std::size_t key_len = get_le(p + 1, 2), value_len = get_le(p + 3, 4);
        r.expires = get_le(p + 7, 8);
        pos += kRecordHead;
        if (body.size() - pos < key_len || body.size() - pos - key_len < value_len) return false;
        r.key = {reinterpret_cast<const char*>(body.data() + pos), key_len};
        r.value = body.subspan(pos + key_len, value_len);
        pos += key_len + value_len;
        if (each) (*each)(r);
    }
    return pos == body.size();
}

}  // namespace

uint64_t cache_file_checksum(std::span<const uint8_t> bytes) {
    // FNV-1a: the checksum is there to catch a damaged file, not a forged one (whoever can
    // write the file can write its checksum too; the file lives where only port53d writes).
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ULL;
    return h;
}

CacheFileWriter::CacheFileWriter(uint64_t written_at, uint32_t view_caches) {
    out_.insert(out_.end(), kMagic, kMagic + sizeof kMagic);
    put_le(out_, kCacheFileVersion, 4);
    uint32_t order = kByteOrder;
    const auto* o = reinterpret_cast<const uint8_t*>(&order);
    out_.insert(out_.end(), o, o + sizeof order);
    put_le(out_, written_at, 8);
    put_le(out_, view_caches, 4);
    put_le(out_, 0, 8);  // the record count, filled in by finish()
}

void CacheFileWriter::add(uint8_t section, std::string_view key, std::span<const uint8_t> value,
                          uint64_t expires) {
    if (key.size() > UINT16_MAX || value.size() > UINT32_MAX) return;
    out_.push_back(section);
    put_le(out_, key.size(), 2);
    put_le(out_, value.size(), 4);
    put_le(out_, expires, 8);
    out_.insert(out_.end(), key.begin(), key.end());
    out_.insert(out_.end(), value.begin(), value.end());
    ++records_;
}

std::vector<uint8_t> CacheFileWriter::finish() {
    for (int i = 0; i < 8; ++i) out_[kRecordsAt + i] = static_cast<uint8_t>(records_ >> (8 * i));
    put_le(out_, cache_file_checksum(out_), 8);
    return std::move(out_);
}

std::optional<CacheFileHeader> check_cache_file(std::span<const uint8_t> file, std::string& why) {
    if (file.size() < kHeaderSize + kChecksumSize ||
        std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
        why = "not a port53 cache file";
        return std::nullopt;
    }
    if (uint32_t v = get_le(file.data() + 8, 4); v != kCacheFileVersion) {
        why = "cache file format " + std::to_string(v) + ", this port53d reads " +
              std::to_string(kCacheFileVersion);
        return std::nullopt;
    }
    uint32_t order;
    std::memcpy(&order, file.data() + 12, sizeof order);
    if (order != kByteOrder) {
        why = "cache file written by a machine of another byte order";
        return std::nullopt;
    }
    auto body = file.first(file.size() - kChecksumSize);
    if (cache_file_checksum(body) != get_le(file.data() + body.size(), 8)) {
        why = "cache file damaged (checksum mismatch)";
        return std::nullopt;
    }
    CacheFileHeader h{get_le(file.data() + 16, 8),
                      static_cast<uint32_t>(get_le(file.data() + 24, 4)),
                      get_le(file.data() + kRecordsAt, 8)};
    if (!walk(body.subspan(kHeaderSize), h.records, nullptr)) {
        why = "cache file damaged (records do not match their count)";
        return std::nullopt;
    }
    return h;
}

void cache_file_records(std::span<const uint8_t> file, const CacheFileHeader& header,
                        const std::function<void(const CacheFileRecord&)>& each) {
    if (file.size() < kHeaderSize + kChecksumSize) return;
    walk(file.subspan(kHeaderSize, file.size() - kHeaderSize - kChecksumSize), header.records,
         &each);
}

std::string write_file_atomically(const std::string& path, std::span<const uint8_t> bytes) {
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    if (dir.empty()) dir = "/";
    std::string tmp = path + ".tmpXXXXXX";
    int fd = ::mkstemp(tmp.data());  // mode 0600
    if (fd < 0) return tmp + ": " + std::strerror(errno);
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    std::string error;
    if (done != bytes.size() || ::fsync(fd) != 0) error = tmp + ": " + std::strerror(errno);
    ::close(fd);
    if (error.empty() && ::rename(tmp.c_str(), path.c_str()) != 0)
        error = path + ": " + std::strerror(errno);
    if (!error.empty()) {
        ::unlink(tmp.c_str());
        return error;
    }
    // The rename is durable only once the directory is on disk too.
    if (int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
        ::fsync(d);
        ::close(d);
    }
    return {};
}

std::optional<std::vector<uint8_t>> read_file_bounded(const std::string& path,
                                                      std::size_t max_bytes, std::string& why) {
    std::ifstream in(path, std::ios::binary);
    struct stat st {};
    if (!in || ::stat(path.c_str(), &st) != 0) {
        why = path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > max_bytes) {
        why = path + ": not a regular file, or larger (" + std::to_string(st.st_size) +
              " bytes) than the caches could hold";
        return std::nullopt;
    }
    std::vector<uint8_t> out(static_cast<std::size_t>(st.st_size));
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
    if (in.gcount() != static_cast<std::streamsize>(out.size())) {
        why = path + ": short read";
        return std::nullopt;
    }
    return out;
}

}  // namespace port53::cache
