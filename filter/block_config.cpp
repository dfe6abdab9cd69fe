#include "filter/block_config.hpp"

#include <chrono>
#include <stdexcept>

#include "base/log.hpp"

namespace port53::filter {

std::unique_ptr<BlockSource> make_block_source(const BlockSettings& s) {
    if (s.files.empty() && s.block.empty() && s.rpz_files.empty()) return nullptr;
    auto answer = BlockAnswer::parse(s.answer);
    if (!answer) throw std::runtime_error("blocklist.answer: not understood: " + s.answer);
    auto started = std::chrono::steady_clock::now();
    auto list = std::make_shared<Blocklist>();
    for (const auto& [names, allow] : {std::pair{&s.block, false}, std::pair{&s.allow, true}}) {
        for (const auto& text : *names) {
            auto name = wire::Name::from_text(text);
            if (!name) throw std::runtime_error("blocklist: not a domain name: " + text);
            allow ? list->allow(*name) : list->block(*name);
        }
    }
    for (const auto& [paths, allow] :
         {std::pair{&s.files, false}, std::pair{&s.allow_files, true}}) {
        for (const auto& path : *paths) {
            ListStats st = list->add_file(path, allow);
            P53_LOG(info, "blocklist " << path << ": " << st.blocked << " blocked, " << st.allowed
                                       << " allowed, " << st.unsupported
                                       << " rules not applicable to DNS");
        }
    }
    std::vector<RpzZone> zones;
    for (const auto& path : s.rpz_files) {
        auto zone_started = std::chrono::steady_clock::now();
        RpzStats st = zones.emplace_back(path).load_file(path, *list);
        zones.back().seal();
        auto zone_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - zone_started);
        P53_LOG(info, "rpz " << path << ": " << st.triggers << " triggers, " << st.passthru
                             << " passthru, " << zones.back().bytes() / 1024 << " KiB, loaded in "
                             << zone_ms.count() << " ms");
        if (st.unsupported > 0)
            P53_LOG(info, "rpz " << path << ": " << st.unsupported
                                 << " rules skipped (only QNAME triggers are applied; no "
                                    "rpz-ip, rpz-nsdname, rpz-client-ip, rpz-nsip, rpz-tcp-only)");
    }
    list->seal();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    P53_LOG(info, "blocklists: " << list->entries() << " names, " << list->bytes() / 1024
                                 << " KiB, loaded in " << ms.count() << " ms");
    return std::make_unique<BlockSource>(std::move(list), std::move(*answer), s.ttl,
                                         std::move(zones));
}

}  // namespace port53::filter
