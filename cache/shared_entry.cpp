#include "cache/shared_entry.hpp"

#include <algorithm>
#include <limits>

namespace port53::cache {
using namespace wire;

namespace {

constexpr std::string_view kMagic = "P53";
// More than any answer a resolver keeps: a value claiming more is garbage.
constexpr std::size_t kMaxRecords = 512;
// Four times the largest DNS message (names stored uncompressed): anything longer is not ours.
constexpr std::size_t kMaxValueBytes = std::size_t{4} * 65'535;

void put8(std::string& out, uint8_t v) {
    out.push_back(static_cast<char>(v));
}
void put16(std::string& out, uint16_t v) {
    put8(out, static_cast<uint8_t>(v >> 8));
    put8(out, static_cast<uint8_t>(v));
}
void put32(std::string& out, uint32_t v) {
    put16(out, static_cast<uint16_t>(v >> 16));
    put16(out, static_cast<uint16_t>(v));
}
void put_name(std::string& out, const Name& n) {
    out.append(n.wire());  // self-delimiting: labels up to the root's zero length
}
void put_records(std::string& out, const std::vector<Record>& rrs) {
    put16(out, static_cast<uint16_t>(rrs.size()));
    for (const auto& r : rrs) {
        put_name(out, r.owner);
        put16(out, r.type);
        put16(out, r.cls);
        put32(out, r.ttl);
        put16(out, static_cast<uint16_t>(r.rdata.size()));
        out.append(r.rdata);
    }
}

// Reads the value front to back; any read past the end sets `bad` and yields zeros.
class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool bad() const { return bad_; }
    bool done() const { return pos_ == in_.size(); }
    std::string_view take(std::size_t n) {
        if (bad_ || in_.size() - pos_ < n) {
            bad_ = true;
            return {};
        }
        std::string_view s = in_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    uint32_t num(std::size_t bytes) {
        uint32_t v = 0;
        for (char c : take(bytes)) v = (v << 8) | static_cast<uint8_t>(c);
        return v;
    }
    std::optional<Name> name() {
        // Labels up to the zero length (at most 255 octets, RFC 1035 §3.1).
        std::size_t start = pos_;
        for (;;) {
            std::string_view len = take(1);
            if (bad_) return std::nullopt;
            auto n = static_cast<uint8_t>(len[0]);
            if (n == 0) break;
            if (n > 63 || pos_ - start > 255) {
                bad_ = true;
                return std::nullopt;
            }
            take(n);
        }
        auto name = Name::from_wire(in_.substr(start, pos_ - start));
        if (!name) bad_ = true;
        return name;
    }
    bool records(std::vector<Record>& out) {
        std::size_t count = num(2);
        if (count > kMaxRecords) bad_ = true;
        for (std::size_t i = 0; i < count && !bad_; ++i) {
            auto owner = name();
            Record r;
            r.type = static_cast<uint16_t>(num(2));
            r.cls = static_cast<uint16_t>(num(2));
            r.ttl = num(4);
            r.rdata = std::string(take(num(2)));
            if (!owner || bad_) return false;
            r.owner = std::move(*owner);
            out.push_back(std::move(r));
        }
        return !bad_;
    }

  private:
    std::string_view in_;
    std::size_t pos_ = 0;
    bool bad_ = false;
};

}  // namespace

std::string shared_key(std::string_view prefix, const Question& q) {
    std::string key(prefix);
    key += ":v" + std::to_string(kSharedFormat) + ":";
    key += q.name.key();
    put16(key, q.type);
    put16(key, q.cls);
    return key;
}

std::string encode_shared(const SharedEntry& e) {
    std::string out(kMagic);
    put8(out, kSharedFormat);
    put8(out, static_cast<uint8_t>(e.kind));
    put8(out, static_cast<uint8_t>(e.security));
    put16(out, e.ede);
    put32(out, e.written);
    put_name(out, e.zone);
    put_name(out, e.next);
    put_records(out, e.records);
    put_records(out, e.authority);
    return out;
}

std::optional<SharedEntry> decode_shared(std::string_view bytes) {
    if (bytes.size() > kMaxValueBytes) return std::nullopt;
    Reader in(bytes);
    if (in.take(kMagic.size()) != kMagic || in.num(1) != kSharedFormat) return std::nullopt;
    SharedEntry e;
    uint32_t kind = in.num(1);
    if (kind < 1 || kind > 4) return std::nullopt;
    e.kind = static_cast<SharedEntry::Kind>(kind);
    uint32_t security = in.num(1);
    // Only what is written: secure or insecure. Anything else is not a state we stored.
    if (security != static_cast<uint8_t>(Security::secure) &&
        security != static_cast<uint8_t>(Security::insecure))
        return std::nullopt;
    e.security = static_cast<Security>(security);
    e.ede = static_cast<uint16_t>(in.num(2));
    e.written = in.num(4);
    auto zone = in.name();
    auto next = in.name();
    if (!zone || !next) return std::nullopt;
    e.zone = std::move(*zone);
    e.next = std::move(*next);
    if (!in.records(e.records) || !in.records(e.authority) || !in.done()) return std::nullopt;
    return e;
}

bool age_shared(SharedEntry& e, uint32_t unix_now) {
    uint32_t elapsed = unix_now > e.written ? unix_now - e.written : 0;
    for (auto* part : {&e.records, &e.authority})
        for (auto& r : *part) {
            if (r.ttl <= elapsed) return false;
            r.ttl -= elapsed;
        }
    return true;
}

uint32_t shared_ttl(const SharedEntry& e) {
    uint32_t ttl = std::numeric_limits<uint32_t>::max();
    for (const auto* part : {&e.records, &e.authority})
        for (const auto& r : *part) ttl = std::min(ttl, r.ttl);
    return ttl == std::numeric_limits<uint32_t>::max() ? 0 : ttl;
}

}  // namespace port53::cache
