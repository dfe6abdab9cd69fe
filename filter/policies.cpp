#include "filter/policies.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "base/log.hpp"
#include "filter/block_config.hpp"

namespace port53::filter {

namespace {

using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

void add_config_names(const BlockSettings& s, Blocklist& list) {
    for (const auto& [names, allow] : {std::pair{&s.block, false}, std::pair{&s.allow, true}}) {
        for (const auto& text : *names) {
            auto name = wire::Name::from_text(text);
            if (!name) throw std::runtime_error("blocklist: not a domain name: " + text);
            allow ? list.allow(*name) : list.block(*name);
        }
    }
}

void log_list(const std::string& label, const ListStats& st) {
    P53_LOG(info, "blocklist " << label << ": " << st.blocked << " blocked, " << st.allowed
                               << " allowed, " << st.unsupported << " rules not applicable to DNS");
}

// A downloaded list's copy; none yet (never downloaded) is an empty list.
ListStats add_copy(Blocklist& list, const BlockSettings& s, const std::string& url, bool allow) {
    std::string path = downloaded_copy(s.download_dir, url);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        P53_LOG(info, "blocklist " << url << ": no copy downloaded yet");
        return {};
    }
    return list.add_file(path, allow);
}

void load_rpz(const BlockSettings& s, Policies& p) {
    for (const auto& path : s.rpz_files) {
        auto started = Clock::now();
        RpzStats st = p.rpz.emplace_back(path).load_file(path, p.lists);
        p.rpz.back().seal();
        P53_LOG(info, "rpz " << path << ": " << st.triggers << " triggers, " << st.passthru
                             << " passthru, " << p.rpz.back().bytes() / 1024 << " KiB, loaded in "
                             << ms_since(started) << " ms");
        if (st.unsupported > 0)
            P53_LOG(info, "rpz " << path << ": " << st.unsupported
                                 << " rules skipped (only QNAME triggers are applied; no "
                                    "rpz-ip, rpz-nsdname, rpz-client-ip, rpz-nsip, rpz-tcp-only)");
    }
}

}  // namespace

bool Policies::speak_about(std::string_view name_wire) const {
    auto name = wire::Name::from_wire(name_wire);
    if (!name) return false;
    if (lists.listed(*name) || lists.allowed(*name)) return true;
    for (const auto& zone : rpz)
        if (zone.match(*name)) return true;
    return false;
}

std::string downloaded_copy(const std::string& dir, const std::string& url) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(name_hash(url)));  // any stable 64-bit hash
    return dir + "/" + hex + ".list";
}

std::shared_ptr<const Policies> load_policies(const BlockSettings& s) {
    auto started = Clock::now();
    auto p = std::make_shared<Policies>();
    p->labels.push_back("config");  // list 0: block names written in the config
    add_config_names(s, p->lists);
    for (const auto& path : s.files) {
        p->labels.push_back(path);
        p->lists.next_list();
        log_list(path, p->lists.add_file(path, false));
    }
    for (const auto& url : s.urls) {
        p->labels.push_back(url);
        p->lists.next_list();
        log_list(url, add_copy(p->lists, s, url, false));
    }
    for (const auto& path : s.allow_files) log_list(path, p->lists.add_file(path, true));
    for (const auto& url : s.allow_urls) log_list(url, add_copy(p->lists, s, url, true));
    load_rpz(s, *p);
    p->lists.seal();
    P53_LOG(info, "blocklists: " << p->lists.entries() << " names, " << p->lists.bytes() / 1024
                                 << " KiB, loaded in " << ms_since(started) << " ms");
    return p;
}

}  // namespace port53::filter
