// Everything the lists say at one moment: the block and allow lists and the RPZ zones,
// loaded together from the configured files and downloaded copies, and replaced together
// when one of them changes (filter/list_updater.hpp), so a question never sees half of an
// update.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filter/blocklist.hpp"
#include "filter/rpz.hpp"

namespace port53::filter {

struct BlockSettings;

struct Policies {
    Blocklist lists;                  // list i is labels[i]
    std::vector<std::string> labels;  // "config" (the names in the config), files, URLs
    std::vector<RpzZone> rpz;

    // Whether these lists decide anything about the name (listed, allowed or an RPZ
    // trigger): after a reload, the cached answers to forget are those of names for which
    // the old or the new lists say something.
    bool speak_about(std::string_view name_wire) const;
};

// The file a downloaded list is kept in under `dir` (named after a hash of its URL).
std::string downloaded_copy(const std::string& dir, const std::string& url);

// Loads every list of `s`; a URL's list from its downloaded copy in s.download_dir (none yet:
// an empty list until the first download). Throws std::runtime_error for an unreadable file
// or a bad name.
std::shared_ptr<const Policies> load_policies(const BlockSettings& s);

}  // namespace port53::filter
