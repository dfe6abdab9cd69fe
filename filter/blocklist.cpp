#include "filter/blocklist.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace port53::filter {

// FNV-1a over the lower-cased wire form of a name's suffix, then a final mix (the splitmix64
// finaliser) so neighbouring names spread. With a million names the chance that two of 2^64
// values meet is about 3e-8.
uint64_t name_hash(std::string_view wire) {
    uint64_t h = 14695981039346656037ull;
    for (char c : wire) {
        auto b = static_cast<uint8_t>(c);
        if (b >= 'A' && b <= 'Z') b = static_cast<uint8_t>(b + 32);
        h = (h ^ b) * 1099511628211ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

namespace {

std::string_view trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Names hosts files map to themselves, which are never worth blocking.
bool hosts_boilerplate(std::string_view name) {
    static constexpr std::array<std::string_view, 12> kSkip = {
        "localhost",     "localhost.localdomain", "local",        "broadcasthost",
        "ip6-localhost", "ip6-loopback",          "ip6-localnet", "ip6-mcastprefix",
        "ip6-allnodes",  "ip6-allrouters",        "ip6-allhosts", "0.0.0.0"};
    return std::find(kSkip.begin(), kSkip.end(), name) != kSkip.end();
}

// Lists hold host names (letters, digits, '-', '_' and dots); anything else is a rule for a
// content blocker ("/regex/", "*.js"), not a name.
bool host_name(std::string_view text) {
    return !text.empty() && text.front() != '.' &&
           text.find_first_not_of(
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
               "0123456789-_.") == std::string_view::npos;
}

bool looks_like_address(std::string_view token) {
    return token.find(':') != std::string_view::npos ||
           token.find_first_not_of("0123456789.") == std::string_view::npos;
}

// "||ads.example^" or "||ads.example^$important": the domain, or empty if the rule does
// more than block a domain and its subdomains (paths, wildcards, other modifiers).
std::string_view adblock_domain(std::string_view rule) {
    rule.remove_prefix(2);
    auto caret = rule.find('^');
    if (caret == std::string_view::npos) return {};
    std::string_view rest = rule.substr(caret + 1);
    if (!rest.empty() && rest != "$important") return {};
    std::string_view domain = rule.substr(0, caret);
    if (domain.find_first_of("*/|$") != std::string_view::npos) return {};
    return domain;
}

}  // namespace

void DomainSet::add(const wire::Name& name, bool subtree, uint16_t list) {
    (subtree ? subtree_ : exact_).pending.emplace_back(name_hash(name.wire()), list);
}

void DomainSet::add_below(const wire::Name& name, uint16_t list) {
    below_.pending.emplace_back(name_hash(name.wire()), list);
}

void DomainSet::Keys::seal() {
    // Sorted by hash, then list: unique() keeps the first list that holds a name.
    std::sort(pending.begin(), pending.end());
    pending.erase(std::unique(pending.begin(), pending.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  pending.end());
    // Merged with what an earlier seal() kept (rarely: names added after a seal).
    for (std::size_t i = 0; i < hashes.size(); ++i)
        pending.emplace_back(hashes[i], lists.empty() ? 0 : lists[i]);
    if (!hashes.empty()) {
        std::sort(pending.begin(), pending.end());
        pending.erase(std::unique(pending.begin(), pending.end(),
                                  [](const auto& a, const auto& b) { return a.first == b.first; }),
                      pending.end());
    }
    bool one_list =
        std::all_of(pending.begin(), pending.end(), [](const auto& p) { return p.second == 0; });
    hashes.clear();
    lists.clear();
    hashes.reserve(pending.size());
    if (!one_list) lists.reserve(pending.size());
    for (const auto& [h, list] : pending) {
        hashes.push_back(h);
        if (!one_list) lists.push_back(list);
    }
    hashes.shrink_to_fit();
    lists.shrink_to_fit();
    pending.clear();
    pending.shrink_to_fit();
}

std::optional<uint16_t> DomainSet::Keys::find(uint64_t h) const {
    auto it = std::lower_bound(hashes.begin(), hashes.end(), h);
    if (it == hashes.end() || *it != h) return std::nullopt;
    return lists.empty() ? 0 : lists[static_cast<std::size_t>(it - hashes.begin())];
}

void DomainSet::seal() {
    for (Keys* k : {&exact_, &subtree_, &below_}) k->seal();
}

std::optional<uint16_t> DomainSet::match(std::string_view wire) const {
    // The first list (lowest number) that holds the name or a parent, for the statistics.
    std::optional<uint16_t> first = exact_.find(name_hash(wire));
    auto keep = [&first](std::optional<uint16_t> list) {
        if (list && (!first || *list < *first)) first = list;
    };
    if (subtree_.size() == 0 && below_.size() == 0) return first;
    // The name, then each parent: the suffixes of the wire form that start at a label.
    for (std::size_t pos = 0; pos < wire.size() && wire[pos] != 0;
         pos += 1 + static_cast<uint8_t>(wire[pos])) {
        uint64_t h = name_hash(wire.substr(pos));
        keep(subtree_.find(h));
        if (pos > 0) keep(below_.find(h));
    }
    return first;
}

void Blocklist::add_line(std::string_view line, bool allow_list, ListStats& stats) {
    line = trim(line);
    if (line.empty() || line.front() == '!' || line.front() == '#') return;  // comments
    // A '#' after a space starts a comment (hosts files); anywhere else it is an adblock
    // element-hiding rule ("example.com##.ad"), nothing a DNS server can apply.
    if (auto hash = line.find('#'); hash != std::string_view::npos) {
        if (line[hash - 1] != ' ' && line[hash - 1] != '\t') return void(++stats.unsupported);
        line = trim(line.substr(0, hash));
    }
    bool exception = allow_list;
    if (line.starts_with("@@")) {
        exception = true;
        line.remove_prefix(2);
    }
    auto take = [&](std::string_view text, bool subtree) {
        auto name = host_name(text) ? wire::Name::from_text(text) : std::nullopt;
        if (!name || name->is_root()) {
            ++stats.unsupported;
            return;
        }
        if (exception)
            allowed_.add(*name, true);
        else
            blocked_.add(*name, subtree, current_);
        ++(exception ? stats.allowed : stats.blocked);
    };
    if (line.starts_with("||")) {
        auto domain = adblock_domain(line);
        if (domain.empty()) {
            ++stats.unsupported;
            return;
        }
        return take(domain, true);
    }
    std::istringstream tokens{std::string(line)};
    std::string first, next;
    tokens >> first;
    if (!looks_like_address(first)) {  // a plain domain list: one name a line
        if (tokens >> next) return void(++stats.unsupported);
        return take(first, true);
    }
    while (tokens >> next)  // hosts file: "0.0.0.0 name [name...]", each name alone
        if (!hosts_boilerplate(next)) take(next, false);
}

ListStats Blocklist::add_text(std::string_view text, bool allow_list) {
    ListStats stats;
    while (!text.empty()) {
        auto nl = text.find('\n');
        add_line(text.substr(0, nl), allow_list, stats);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    }
    return stats;
}

ListStats Blocklist::add_file(const std::string& path, bool allow_list) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read");
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return add_text(text, allow_list);
}

void Blocklist::seal() {
    blocked_.seal();
    allowed_.seal();
}

}  // namespace port53::filter
