#include "wire/builder.hpp"

#include "wire/types.hpp"

namespace port53::wire {

MessageBuilder::MessageBuilder(std::size_t max_size) : max_(max_size) {
    buf_.reserve(512);
    buf_.resize(kHeaderSize, 0);
}

void MessageBuilder::header(uint16_t id, uint16_t flags) {
    store16(&buf_[0], id);
    store16(&buf_[2], flags);
}

void MessageBuilder::set_flags(uint16_t flags) {
    store16(&buf_[2], flags);
}

void MessageBuilder::put16(uint16_t v) {
    buf_.push_back(static_cast<uint8_t>(v >> 8));
    buf_.push_back(static_cast<uint8_t>(v));
}

void MessageBuilder::put32(uint32_t v) {
    put16(static_cast<uint16_t>(v >> 16));
    put16(static_cast<uint16_t>(v));
}

void MessageBuilder::bump(std::size_t count_offset) {
    store16(&buf_[count_offset], load16(&buf_[count_offset]) + 1);
}

void MessageBuilder::put_name(const Name& n, bool compress) {
    std::string key = n.key();
    std::string_view rest(key);
    while (rest.size() > 1) {
        if (compress) {
            for (const auto& [suffix, off] : suffixes_) {
                if (suffix == rest) {
                    put16(static_cast<uint16_t>(0xC000 | off));
                    return;
                }
            }
        }
        if (buf_.size() < 0x3FFF) suffixes_.emplace_back(std::string(rest), buf_.size());
        auto len = static_cast<uint8_t>(rest[0]);
        // Copy the label from the original name to keep its case.
        std::size_t at = key.size() - rest.size();
        buf_.insert(buf_.end(), n.wire().begin() + at, n.wire().begin() + at + 1 + len);
        rest.remove_prefix(1 + len);
    }
    buf_.push_back(0);
}

void MessageBuilder::question(const Name& name, uint16_t type, uint16_t cls) {
    put_name(name, true);
    put16(type);
    put16(cls);
    bump(4);
}

// Rdata of these types may carry compressed names (RFC 3597 §4); all others go out verbatim.
static bool rdata_compressible(uint16_t t) {
    return t == type::NS || t == type::CNAME || t == type::PTR || t == type::MX || t == type::SOA;
}

bool MessageBuilder::put_rdata_compressed(const Record& rec) {
    std::size_t mark = buf_.size(), suffixes_before = suffixes_.size();
    std::size_t fixed = rec.type == type::MX ? 2 : 0;
    if (rec.rdata.size() < fixed) return false;
    auto span = std::span(reinterpret_cast<const uint8_t*>(rec.rdata.data()), rec.rdata.size());
    const auto head = span.first(fixed);
    buf_.insert(buf_.end(), head.begin(), head.end());
    std::size_t pos = fixed;
    int names = rec.type == type::SOA ? 2 : 1;
    for (int i = 0; i < names; ++i) {
        auto name = read_name(span, pos);
        if (!name) {
            buf_.resize(mark);
            suffixes_.resize(suffixes_before);
            return false;
        }
        put_name(*name, true);
    }
    const auto rest = span.subspan(pos);
    buf_.insert(buf_.end(), rest.begin(), rest.end());
    return true;
}

bool MessageBuilder::add(Section s, const Record& rec) {
    std::size_t mark = buf_.size();
    std::size_t suffix_mark = suffixes_.size();
    put_name(rec.owner, true);
    put16(rec.type);
    put16(rec.cls);
    std::size_t ttl_at = buf_.size();
    put32(rec.ttl);
    std::size_t rdlen_at = buf_.size();
    put16(0);
    // Embedded names are re-encoded so they can point at earlier ones; rdata that does not
    // hold the names its type promises is written verbatim instead.
    if (!rdata_compressible(rec.type) || !put_rdata_compressed(rec))
        buf_.insert(buf_.end(), rec.rdata.begin(), rec.rdata.end());
    store16(&buf_[rdlen_at], static_cast<uint16_t>(buf_.size() - rdlen_at - 2));
    if (buf_.size() > max_) {
        buf_.resize(mark);
        suffixes_.resize(suffix_mark);
        return false;
    }
    ttl_offsets_.push_back(static_cast<uint16_t>(ttl_at));
    bump(s == Section::answer ? 6 : s == Section::authority ? 8 : 10);
    return true;
}

bool MessageBuilder::add_opt(uint16_t udp_size, bool dnssec_ok, uint8_t extended_rcode,
                             std::span<const uint8_t> options) {
    if (buf_.size() + 11 + options.size() > max_ || options.size() > 0xFFFF) return false;
    buf_.push_back(0);
    put16(type::OPT);
    put16(udp_size);
    put32(uint32_t{extended_rcode} << 24 | (dnssec_ok ? kEdnsDoBit : 0));
    put16(static_cast<uint16_t>(options.size()));
    buf_.insert(buf_.end(), options.begin(), options.end());
    bump(10);
    return true;
}

std::vector<uint8_t> error_response(std::span<const uint8_t> query, uint16_t rc) {
    if (query.size() < kHeaderSize) return {};
    uint16_t qflags = load16(&query[2]);
    // Echo opcode and RD; set QR and RA.
    uint16_t flags = static_cast<uint16_t>(flag::QR | (qflags & 0x7900) | flag::RA | (rc & 0xF));
    MessageBuilder b;
    b.header(load16(query.data()), flags);
    if (load16(&query[4]) == 1) {  // else, or if the question cannot be read: header only
        std::size_t pos = kHeaderSize;
        auto qn = read_name(query, pos);
        if (qn && pos + 4 <= query.size())
            b.question(*qn, load16(&query[pos]), load16(&query[pos + 2]));
    }
    if (rc > 0xF) b.add_opt(1232, false, static_cast<uint8_t>(rc >> 4));  // BADVERS & co.
    return b.take();
}

}  // namespace port53::wire
