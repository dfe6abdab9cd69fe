#include "wire/message.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace port53::wire {
namespace {

// Reads fields in order. The first thing wrong sticks: later reads return zeros and the
// caller checks error() once per record.
class Reader {
  public:
    explicit Reader(std::span<const uint8_t> m) : msg_(m) {}
    uint16_t u16() {
        if (!need(2)) return 0;
        uint16_t v = load16(&msg_[pos_]);
        pos_ += 2;
        return v;
    }
    uint32_t u32() {
        if (!need(4)) return 0;
        uint32_t v = load32(&msg_[pos_]);
        pos_ += 4;
        return v;
    }
    Name name() {
        if (error_) return Name{};
        const char* why = nullptr;
        auto n = read_name(msg_, pos_, &why);
        if (!n) fail(why);
        return n.value_or(Name{});
    }
    bool need(std::size_t n) {
        if (!error_ && pos_ + n > msg_.size()) fail("message truncated");
        return !error_;
    }
    void fail(const char* why) {
        if (!error_) error_ = why;
    }
    const char* error() const { return error_; }
    std::size_t pos() const { return pos_; }
    void skip(std::size_t n) {
        if (need(n)) pos_ += n;
    }
    std::span<const uint8_t> msg() const { return msg_; }

  private:
    std::span<const uint8_t> msg_;
    std::size_t pos_ = 0;
    const char* error_ = nullptr;
};

// Rewrite rdata with every embedded (possibly compressed) name expanded; nullopt (and the
// reason in `why`) if it does not hold what its type promises.
std::optional<std::string> expand_rdata(uint16_t type, std::span<const uint8_t> msg,
                                        std::size_t start, std::size_t len, const char*& why) {
    const char* layout = rdata_name_layout(type);
    if (!layout) return std::string(reinterpret_cast<const char*>(&msg[start]), len);
    std::string out;
    std::size_t pos = start, end = start + len;
    auto bounded = msg.first(end);
    for (const char* l = layout; *l; ++l) {
        if (*l == 'N') {
            auto name = read_name(bounded, pos, &why);
            if (!name) return std::nullopt;
            out.append(name->wire());
        } else {
            std::size_t n = (*l == 'T') ? 20 : static_cast<std::size_t>(*l - '0');
            if (pos + n > end) {
                why = "rdata too short";
                return std::nullopt;
            }
            out.append(reinterpret_cast<const char*>(&msg[pos]), n);
            pos += n;
        }
    }
    if (pos != end) {
        why = "rdata length mismatch";
        return std::nullopt;
    }
    return out;
}

// One resource record; check r.error() after.
Record read_record(Reader& r) {
    Record rec;
    rec.owner = r.name();
    rec.type = r.u16();
    rec.cls = r.u16();
    rec.ttl = r.u32();
    uint16_t rdlen = r.u16();
    if (!r.need(rdlen)) return rec;
    const char* why = nullptr;
    auto rdata = expand_rdata(rec.type, r.msg(), r.pos(), rdlen, why);
    if (!rdata) {
        r.fail(why);
        return rec;
    }
    rec.rdata = std::move(*rdata);
    r.skip(rdlen);
    // RFC 2181 §8: a TTL with the top bit set is treated as zero.
    if (rec.ttl & 0x80000000u) rec.ttl = 0;
    return rec;
}

// The additional section: records, and the OPT pseudo-record lifted into m.edns.
void read_additional(Reader& r, uint16_t count, Message& m) {
    for (uint16_t i = 0; i < count && !r.error(); ++i) {
        Record rec = read_record(r);
        if (r.error()) return;
        if (rec.type != type::OPT) {
            m.additional.push_back(std::move(rec));
            continue;
        }
        if (m.edns || !rec.owner.is_root()) {
            r.fail("bad or duplicate OPT record");
            return;
        }
        Edns e;
        e.udp_size = rec.cls;
        e.extended_rcode = static_cast<uint8_t>(rec.ttl >> 24);
        e.version = static_cast<uint8_t>(rec.ttl >> 16);
        e.dnssec_ok = (rec.ttl & kEdnsDoBit) != 0;
        e.options = std::move(rec.rdata);
        m.edns = e;
    }
}

}  // namespace

std::optional<Message> parse_message(std::span<const uint8_t> wire, const char** why) {
    Reader r(wire);
    Message m;
    m.id = r.u16();
    m.flags = r.u16();
    uint16_t qd = r.u16(), an = r.u16(), ns = r.u16(), ar = r.u16();
    for (uint16_t i = 0; i < qd && !r.error(); ++i) {
        Question q;
        q.name = r.name();
        q.type = r.u16();
        q.cls = r.u16();
        m.questions.push_back(std::move(q));
    }
    for (auto [section, count] : {std::pair{&m.answer, an}, std::pair{&m.authority, ns}})
        for (uint16_t i = 0; i < count && !r.error(); ++i) {
            Record rec = read_record(r);
            if (!r.error()) section->push_back(std::move(rec));
        }
    read_additional(r, ar, m);
    if (r.error()) {
        if (why) *why = r.error();
        return std::nullopt;
    }
    return m;
}

std::optional<std::string_view> Edns::option(uint16_t code) const {
    std::string_view o = options;
    auto u16 = [&](std::size_t at) {
        return static_cast<uint16_t>(static_cast<uint8_t>(o[at]) << 8 |
                                     static_cast<uint8_t>(o[at + 1]));
    };
    for (std::size_t pos = 0; pos + 4 <= o.size();) {
        std::size_t len = u16(pos + 2);
        if (pos + 4 + len > o.size()) return std::nullopt;
        if (u16(pos) == code) return o.substr(pos + 4, len);
        pos += 4 + len;
    }
    return std::nullopt;
}

std::vector<std::vector<Record>> group_rrsets(const std::vector<Record>& records) {
    std::vector<std::vector<Record>> sets;
    for (const auto& r : records) {
        auto it = std::find_if(sets.begin(), sets.end(), [&](const auto& s) {
            return s.front().type == r.type && s.front().cls == r.cls && s.front().owner == r.owner;
        });
        if (it == sets.end())
            sets.push_back({r});
        else if (std::find(it->begin(), it->end(), r) == it->end())
            it->push_back(r);
    }
    return sets;
}

std::optional<Name> rdata_target(uint16_t t, std::string_view rdata) {
    std::size_t skip = 0;
    if (t == type::MX)
        skip = 2;
    else if (t == type::SRV)
        skip = 6;
    else if (t != type::NS && t != type::CNAME && t != type::DNAME && t != type::PTR)
        return std::nullopt;
    if (rdata.size() <= skip) return std::nullopt;
    return Name::from_wire(rdata.substr(skip));
}

bool response_matches_query(std::span<const uint8_t> query, std::span<const uint8_t> response) {
    if (query.size() < kHeaderSize || response.size() < kHeaderSize) return false;
    if (load16(query.data()) != load16(response.data())) return false;
    // A reply has QR set and the query's opcode; a copy of our own query (QR=0) is not one.
    uint16_t qf = load16(&query[2]), rf = load16(&response[2]);
    if (!(rf & flag::QR) || ((qf ^ rf) & 0x7800)) return false;
    if (load16(&response[4]) != 1) return false;
    std::size_t qpos = kHeaderSize, rpos = kHeaderSize;
    auto qn = read_name(query, qpos), rn = read_name(response, rpos);
    if (!qn || !rn || !(*qn == *rn) || rpos + 4 > response.size() || qpos + 4 > query.size())
        return false;
    return std::memcmp(&query[qpos], &response[rpos], 4) == 0;
}

std::string rdata_to_text(uint16_t t, std::string_view rdata) {
    char buf[INET6_ADDRSTRLEN];
    if (t == type::A && rdata.size() == 4) return inet_ntop(AF_INET, rdata.data(), buf, sizeof buf);
    if (t == type::AAAA && rdata.size() == 16)
        return inet_ntop(AF_INET6, rdata.data(), buf, sizeof buf);
    if (auto target = rdata_target(t, rdata)) return target->to_text();
    std::string hex = "\\# " + std::to_string(rdata.size()) + " ";
    for (unsigned char c : rdata) {
        std::snprintf(buf, sizeof buf, "%02x", c);
        hex += buf;
    }
    return hex;
}

}  // namespace port53::wire
