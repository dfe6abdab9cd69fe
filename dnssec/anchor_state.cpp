#include "dnssec/anchor_state.hpp"

#include <charconv>
#include <sstream>

#include "wire/rdata.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {
constexpr std::size_t kMaxKeys = 64;  // a root has two or three KSKs; more is not ours

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 0xf];
    }
    return out;
}

std::optional<std::string> unhex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
        if (ec != std::errc() || end != text.data() + i + 2) return std::nullopt;
        out += static_cast<char>(value);
    }
    return out;
}

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

template <typename T>
std::optional<T> number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// One "key STATE SINCE RDATA" line, or why not.
std::optional<TrackedKey> parse_key(const std::vector<std::string_view>& w, std::string& why) {
    auto refuse = [&](const char* what) {
        why = what;
        return std::optional<TrackedKey>{};
    };
    if (w.size() != 4) return refuse("key needs STATE SINCE RDATA");
    auto state = state_from_name(w[1]);
    auto since = number<uint32_t>(w[2]);
    auto rdata = unhex(w[3]);
    if (!state) return refuse("unknown state");
    if (!since) return refuse("bad time");
    auto key = rdata ? DnskeyView::parse(*rdata) : std::nullopt;
    if (!key || !key->zone_key() || !key->secure_entry_point() || key->revoked() ||
        key->public_key().empty())
        return refuse("not a key-signing DNSKEY");
    return TrackedKey{std::move(*rdata), *state, *since};
}
}  // namespace

std::string format_anchor_state(const Name& zone, const std::vector<TrackedKey>& keys) {
    std::ostringstream out;
    out << "; port53 trust-anchor state (RFC 5011), rewritten by port53d after each change\n"
        << "zone " << zone.to_text() << "\n";
    for (const auto& k : keys)
        out << "key " << state_name(k.state) << " " << k.since << " " << hex(k.rdata) << "\n";
    out << "end " << keys.size() << "\n";
    return out.str();
}

std::optional<AnchorState> parse_anchor_state(std::string_view text, std::string& error) {
    std::optional<AnchorState> state;
    bool ended = false;
    std::size_t line_no = 0;
    auto fail = [&](const std::string& why) {
        error = "line " + std::to_string(line_no) + ": " + why;
        return std::nullopt;
    };
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        auto w = words(line);
        if (w.empty() || w[0].front() == ';') continue;
        if (ended) return fail("text after end");
        if (w[0] == "zone" && !state && w.size() == 2) {
            auto zone = Name::from_text(w[1]);
            if (!zone) return fail("bad zone name");
            state = AnchorState{*zone, {}};
        } else if (w[0] == "key" && state) {
            std::string why;
            auto key = parse_key(w, why);
            if (!key) return fail(why);
            if (state->keys.size() >= kMaxKeys) return fail("too many keys");
            state->keys.push_back(std::move(*key));
        } else if (w[0] == "end" && state && w.size() == 2) {
            if (number<std::size_t>(w[1]) != state->keys.size()) return fail("key count differs");
            ended = true;
        } else {
            return fail("unexpected \"" + std::string(w[0]) + "\"");
        }
    }
    if (!ended) return fail("no end line (truncated?)");
    return state;
}

}  // namespace port53::dnssec
