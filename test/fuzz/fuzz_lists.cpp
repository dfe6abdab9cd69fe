// libFuzzer target: the blocklist parsers (hosts files, domain lists, adblock rules) and the
// RPZ zone reader. Lists are downloaded from URLs the operator trusts but does not control,
// so any bytes must give a clear error or a list, never a crash. Input: the first byte picks
// the parser, the rest is the list text. Besides crashes it checks that a sealed list still
// lists every plain name it was given, and that an allow rule wins over it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "filter/blocklist.hpp"
#include "filter/rpz.hpp"

namespace {
using namespace port53;

void require(bool ok) {
    if (!ok) std::abort();
}

// Each line that is a plain host name, blocked by the list made of the text.
void check_domain_list(std::string_view text) {
    filter::Blocklist list;
    filter::ListStats st = list.add_text(text, false);
    list.seal();
    require(list.entries() <= st.blocked);
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
        start = nl == std::string_view::npos ? text.size() : nl + 1;
        if (line.empty() || line.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") !=
                                std::string_view::npos)
            continue;
        if (line.find_first_not_of("0123456789.") == std::string_view::npos)
            continue;  // an address: a hosts-file line without names
        auto name = wire::Name::from_text(line);
        if (!name || name->is_root() || line.front() == '.') continue;
        require(list.listed(*name));  // listed; an @@ rule elsewhere may allow it
        filter::Blocklist allowed = list;
        allowed.allow(*name);
        allowed.seal();
        require(!allowed.blocks(*name));
    }
}

void check_rpz(const std::string& text) {
    filter::Blocklist allow;
    filter::RpzZone zone("fuzz.rpz");
    try {
        zone.load_text(text, allow);
    } catch (const std::runtime_error&) {
        return;  // a syntax error, reported with its line
    }
    zone.seal();
    allow.seal();
    for (const char* n : {"example.", "a.b.example.", "rpz-ip.", "x."})
        if (auto name = wire::Name::from_text(n)) (void)zone.match(*name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 1)
        check_rpz(text);
    else
        check_domain_list(text);
    return 0;
}
