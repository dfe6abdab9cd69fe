// Blocklists and allowlists of domain names, as home labs feed Pi-hole and AdGuard Home:
// hosts files ("0.0.0.0 ads.example"), plain domain lists ("ads.example") and adblock-style
// rules ("||ads.example^", "@@||ok.example^" to allow). A list of a million names is kept as
// sorted 64-bit hashes of the lower-cased wire names, 8 bytes a name (10 when several lists
// are loaded: 2 more say which list holds it, for the per-list statistics), looked up by
// binary search for the name and each of its parents.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/name.hpp"

namespace port53::filter {

// The hash a list keeps for a name: of its lower-cased wire form (or a suffix of it).
uint64_t name_hash(std::string_view wire);

// What one list file held.
struct ListStats {
    std::size_t blocked = 0;      // entries added to the blocklist
    std::size_t allowed = 0;      // exceptions (@@ rules)
    std::size_t unsupported = 0;  // rules of a kind we do not apply (regex, modifiers, paths)
};

// Names from one or more lists (numbered from 0), each remembered with the first list that
// holds it.
class DomainSet {
  public:
    // `subtree`: the name and every name below it; otherwise the name alone (hosts files).
    void add(const wire::Name& name, bool subtree, uint16_t list = 0);
    // Every name below `name`, not `name` itself (RPZ's "*.name").
    void add_below(const wire::Name& name, uint16_t list = 0);
    // Sorts and removes duplicates; call once after the last add, before matching.
    void seal();
    // The list that holds the name (itself or a parent), if any does.
    std::optional<uint16_t> match(std::string_view wire) const;
    bool matches(const wire::Name& name) const { return match(name.wire()).has_value(); }
    std::size_t size() const { return exact_.size() + subtree_.size() + below_.size(); }
    std::size_t bytes() const { return exact_.bytes() + subtree_.bytes() + below_.bytes(); }

  private:
    // Sorted hashes, and beside them the list of each (empty while every entry is list 0).
    struct Keys {
        std::vector<uint64_t> hashes;
        std::vector<uint16_t> lists;
        std::vector<std::pair<uint64_t, uint16_t>> pending;  // until seal()
        void seal();
        std::optional<uint16_t> find(uint64_t h) const;
        std::size_t size() const { return hashes.size(); }
        std::size_t bytes() const { return hashes.capacity() * 8 + lists.capacity() * 2; }
    };
    Keys exact_, subtree_, below_;
};

class Blocklist {
  public:
    // Entries added from now on belong to a new list (the first is list 0, open from the
    // start); returns its number.
    uint16_t next_list() { return ++current_; }
    // Reads one list (any of the three formats, line by line); `allow_list`: every entry is an
    // exception. Throws std::runtime_error("path: cannot read") for an unreadable file.
    ListStats add_file(const std::string& path, bool allow_list);
    ListStats add_text(std::string_view text, bool allow_list);
    void block(const wire::Name& name) { blocked_.add(name, true, current_); }
    void allow(const wire::Name& name) { allowed_.add(name, true); }
    // RPZ PASSTHRU rules: the name alone, or the names below it.
    void allow_exact(const wire::Name& name) { allowed_.add(name, false); }
    void allow_below(const wire::Name& name) { allowed_.add_below(name); }
    void seal();

    // Blocked: listed (itself or a parent), and neither it nor a parent is allowed. The list
    // that blocks it.
    std::optional<uint16_t> blocked_by(std::string_view wire) const {
        auto list = blocked_.match(wire);
        return list && !allowed_.match(wire) ? list : std::nullopt;
    }
    bool blocks(const wire::Name& name) const { return blocked_by(name.wire()).has_value(); }
    bool listed(const wire::Name& name) const { return blocked_.matches(name); }
    bool allowed(const wire::Name& name) const { return allowed_.matches(name); }
    std::size_t entries() const { return blocked_.size(); }
    std::size_t bytes() const { return blocked_.bytes() + allowed_.bytes(); }

  private:
    void add_line(std::string_view line, bool allow_list, ListStats& stats);
    DomainSet blocked_, allowed_;
    uint16_t current_ = 0;
};

}  // namespace port53::filter
