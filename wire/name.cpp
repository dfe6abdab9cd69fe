#include "wire/name.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "wire/types.hpp"

namespace port53::wire {

std::optional<Name> Name::from_text(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (text == ".") return Name{};
    std::string wire;
    std::string label;
    auto flush = [&]() -> bool {
        if (label.empty() || label.size() > kMaxLabel) return false;
        wire.push_back(static_cast<char>(label.size()));
        wire += label;
        label.clear();
        return true;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.') {
            if (!flush()) return std::nullopt;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) return std::nullopt;
            if (std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
                if (i + 3 >= text.size()) return std::nullopt;
                int v = 0;
                for (int k = 1; k <= 3; ++k) {
                    char d = text[i + k];
                    if (d < '0' || d > '9') return std::nullopt;
                    v = v * 10 + (d - '0');
                }
                if (v > 255) return std::nullopt;
                label.push_back(static_cast<char>(v));
                i += 3;
            } else {
                label.push_back(text[++i]);
            }
        } else {
            label.push_back(c);
        }
    }
    if (!label.empty() && !flush()) return std::nullopt;
    wire.push_back('\0');
    if (wire.size() > kMaxNameWire) return std::nullopt;
    return Name{std::move(wire)};
}

std::optional<Name> Name::from_wire(std::string_view wire) {
    std::size_t pos = 0;
    while (pos < wire.size()) {
        auto len = static_cast<uint8_t>(wire[pos]);
        if (len == 0) {
            if (pos + 1 != wire.size() || wire.size() > kMaxNameWire) break;
            return Name{std::string(wire)};
        }
        if (len > kMaxLabel) break;
        pos += 1 + len;
    }
    return std::nullopt;
}

std::optional<Name> Name::wildcard() const {
    if (wire_.size() + 2 > kMaxNameWire) return std::nullopt;
    return Name{"\1*" + wire_};
}

std::string Name::to_text() const {
    if (is_root()) return ".";
    std::string out;
    std::size_t pos = 0;
    while (auto len = static_cast<uint8_t>(wire_[pos])) {
        for (std::size_t i = 1; i <= len; ++i) {
            auto c = static_cast<unsigned char>(wire_[pos + i]);
            if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')') {
                out.push_back('\\');
                out.push_back(static_cast<char>(c));
            } else if (c <= ' ' || c >= 0x7f) {
                char buf[5];
                std::snprintf(buf, sizeof buf, "\\%03u", c);
                out += buf;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        out.push_back('.');
        pos += 1 + len;
    }
    return out;
}

std::size_t Name::label_count() const {
    std::size_t n = 0;
    for (std::size_t pos = 0; wire_[pos] != 0; pos += 1 + static_cast<uint8_t>(wire_[pos])) ++n;
    return n;
}

Name Name::parent() const {
    if (is_root()) return *this;
    return Name{wire_.substr(1 + static_cast<uint8_t>(wire_[0]))};
}

Name Name::suffix(std::size_t labels) const {
    std::size_t total = label_count();
    if (labels >= total) return *this;
    std::size_t pos = 0;
    for (std::size_t skip = total - labels; skip > 0; --skip)
        pos += 1 + static_cast<uint8_t>(wire_[pos]);
    return Name{wire_.substr(pos)};
}

std::string_view Name::first_label() const {
    return std::string_view(wire_).substr(1, static_cast<uint8_t>(wire_[0]));
}

static bool equal_nocase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(static_cast<uint8_t>(a[i])) != ascii_lower(static_cast<uint8_t>(b[i])))
            return false;
    return true;
}

bool Name::is_subdomain_of(const Name& zone) const {
    if (zone.size() > size()) return false;
    // Walk label boundaries so "xexample." is not taken to be under "example.".
    std::size_t offset = size() - zone.size();
    std::size_t pos = 0;
    while (pos < offset) pos += 1 + static_cast<uint8_t>(wire_[pos]);
    return pos == offset && equal_nocase(std::string_view(wire_).substr(pos), zone.wire_);
}

std::string Name::key() const {
    std::string k = wire_;
    for (auto& c : k) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
    return k;
}

std::optional<Name> Name::replace_suffix(const Name& old_suffix, const Name& new_suffix) const {
    if (!is_subdomain_of(old_suffix)) return std::nullopt;
    std::string w = wire_.substr(0, size() - old_suffix.size()) + new_suffix.wire_;
    if (w.size() > kMaxNameWire) return std::nullopt;
    return Name{std::move(w)};
}

bool operator==(const Name& a, const Name& b) {
    return equal_nocase(a.wire_, b.wire_);
}

// Shared walker for compressed names: calls `emit(label)` for each label of the uncompressed
// form (its length byte first, the root label last) and returns nullptr, or what is wrong
// with the name (then `pos` is unspecified). A label at a time, not a byte at a time: the
// question name of every query goes through here on the cache-hit path.
template <typename Emit>
static const char* walk_name(std::span<const uint8_t> msg, std::size_t& pos, Emit&& emit) {
    std::size_t cur = pos, out_len = 0;
    bool jumped = false;
    int jumps = 0;
    for (;;) {
        if (cur >= msg.size()) return "name runs past end of message";
        uint8_t len = msg[cur];
        if ((len & 0xC0) == 0xC0) {
            if (cur + 1 >= msg.size()) return "truncated compression pointer";
            std::size_t target = (std::size_t{len & 0x3Fu} << 8) | msg[cur + 1];
            if (!jumped) pos = cur + 2;
            jumped = true;
            // A pointer must go backwards; this and the jump cap rule out loops.
            if (target >= cur || ++jumps > 64) return "bad compression pointer";
            cur = target;
            continue;
        }
        if (len & 0xC0) return "unknown label type";
        if (cur + 1 + len > msg.size()) return "label runs past end of message";
        if (out_len + 1 + len > kMaxNameWire) return "name too long";
        emit(msg.subspan(cur, 1 + len));
        out_len += 1 + len;
        cur += 1 + len;
        if (len == 0) break;
    }
    if (!jumped) pos = cur;
    return nullptr;
}

std::optional<Name> read_name(std::span<const uint8_t> msg, std::size_t& pos, const char** why) {
    std::string out;
    const char* error = walk_name(msg, pos, [&](std::span<const uint8_t> label) {
        out.append(reinterpret_cast<const char*>(label.data()), label.size());
    });
    if (error) {
        if (why) *why = error;
        return std::nullopt;
    }
    return Name::from_wire(out);  // the walker let only valid labels through
}

namespace {

// Lower-cases `n` bytes 8 at a time (SWAR): for each byte below 0x80, bit 7 of b + 0x3F says
// b >= 'A' and of b + 0x25 says b > 'Z' (the 7-bit sums cannot carry into the next byte);
// their difference is an upper-case letter, which gets 0x20. Bytes of 0x80 and up stay.
void lower_copy(const uint8_t* in, uint8_t* out, std::size_t n) {
    constexpr uint64_t k7f = 0x7F7F7F7F7F7F7F7FULL, k80 = 0x8080808080808080ULL;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        std::memcpy(&x, in + i, 8);
        uint64_t low7 = x & k7f;
        uint64_t upper =
            ((low7 + 0x3F3F3F3F3F3F3F3FULL) ^ (low7 + 0x2525252525252525ULL)) & ~x & k80;
        x |= upper >> 2;
        std::memcpy(out + i, &x, 8);
    }
    for (; i < n; ++i) out[i] = ascii_lower(in[i]);
}

}  // namespace

std::optional<std::size_t> read_name_lower(std::span<const uint8_t> msg, std::size_t& pos,
                                           uint8_t (&out)[255]) {
    // A query's question name is uncompressed: check its labels, then lower-case it whole
    // (length bytes are below 64, so lower-casing leaves them as they are). A compression
    // pointer or anything wrong goes the general way.
    for (std::size_t cur = pos; cur < msg.size() && cur - pos < kMaxNameWire;) {
        uint8_t len = msg[cur];
        if (len & 0xC0) break;
        cur += 1 + std::size_t{len};
        if (cur > msg.size() || cur - pos > kMaxNameWire) break;
        if (len == 0) {
            std::size_t n = cur - pos;
            lower_copy(msg.data() + pos, out, n);
            pos = cur;
            return n;
        }
    }
    std::size_t n = 0;
    const char* error = walk_name(msg, pos, [&](std::span<const uint8_t> label) {
        lower_copy(label.data(), out + n, label.size());
        n += label.size();
    });
    if (error) return std::nullopt;
    return n;
}

}  // namespace port53::wire
