#include "filter/rpz.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "filter/blocklist.hpp"
#include "wire/types.hpp"
#include "wire/zone_file.hpp"

namespace port53::filter {
using wire::Name;

namespace {

// Owner names under these top labels (after the origin) are triggers on something other
// than the name asked: response addresses, name servers, clients.
bool other_trigger(const Name& relative) {
    static constexpr std::array<std::string_view, 4> kKinds = {"rpz-ip", "rpz-nsdname",
                                                               "rpz-client-ip", "rpz-nsip"};
    const Name last = relative.suffix(1);  // kept: first_label() is a view into it
    std::string_view top = last.first_label();
    return std::any_of(kKinds.begin(), kKinds.end(), [&](std::string_view k) {
        return top.size() == k.size() &&
               std::equal(top.begin(), top.end(), k.begin(),
                          [](char a, char b) { return (a | 0x20) == b || a == b; });
    });
}

// DNSSEC records of a signed policy zone say nothing about policy.
bool signature_type(uint16_t t) {
    return t == wire::type::RRSIG || t == wire::type::NSEC || t == wire::type::NSEC3 ||
           t == wire::type::DNSKEY || t == wire::type::NSEC3PARAM || t == wire::type::DS;
}

void sort_into(std::vector<std::pair<uint64_t, RpzAction>>& pending, std::vector<uint64_t>& keys,
               std::vector<RpzAction>& actions) {
    // Stable, so the first rule for a name in the file is the one kept.
    std::stable_sort(pending.begin(), pending.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    pending.erase(std::unique(pending.begin(), pending.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  pending.end());
    keys.reserve(keys.size() + pending.size());
    actions.reserve(actions.size() + pending.size());
    for (const auto& [key, action] : pending) {
        keys.push_back(key);
        actions.push_back(action);
    }
    pending.clear();
    pending.shrink_to_fit();
}

}  // namespace

// One pass over the zone's records: the SOA sets the origin, each record after it a rule.
struct RpzZone::Reader {
    RpzZone& zone;
    Blocklist& allow;
    const std::string& where;
    RpzStats stats;
    std::optional<Name> origin;

    void take(wire::Record&& rec, int line) {
        if (!origin) {
            if (rec.type != wire::type::SOA)
                throw std::runtime_error(where + ":" + std::to_string(line) +
                                         ": an RPZ zone starts with its SOA record");
            origin = rec.owner;
            return;
        }
        if (rec.owner == *origin || signature_type(rec.type)) return;  // apex NS, signatures
        auto relative = rec.owner.is_subdomain_of(*origin)
                            ? rec.owner.replace_suffix(*origin, Name{})
                            : std::nullopt;
        if (!relative || relative->is_root() || other_trigger(*relative)) {
            ++stats.unsupported;
            return;
        }
        bool below = relative->first_label() == "*";
        Name trigger = below ? relative->parent() : *relative;
        if (rec.type == wire::type::CNAME) return cname(trigger, below, *relative, rec);
        zone.add(trigger, below, RpzAction::local);
        zone.data_[name_hash(relative->wire())].push_back(
            RpzData{rec.type, rec.ttl, std::move(rec.rdata)});
        ++stats.triggers;
    }

    void cname(const Name& trigger, bool below, const Name& relative, wire::Record& rec) {
        auto target = wire::rdata_target(wire::type::CNAME, rec.rdata);
        if (!target) return void(++stats.unsupported);
        std::string text = target->to_text();
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (text == "rpz-passthru.") {
            below ? allow.allow_below(trigger) : allow.allow_exact(trigger);
            return void(++stats.passthru);
        }
        std::optional<RpzAction> action;
        if (target->is_root()) action = RpzAction::nxdomain;
        if (text == "*.") action = RpzAction::nodata;
        if (text == "rpz-drop.") action = RpzAction::drop;
        // rpz-tcp-only. and "*.garden.example." (the name asked, rewritten) are not applied.
        if (!action && (text.starts_with("rpz-") || target->first_label() == "*"))
            return void(++stats.unsupported);
        if (!action) {
            action = RpzAction::local;
            zone.data_[name_hash(relative.wire())].push_back(
                RpzData{rec.type, rec.ttl, std::move(rec.rdata)});
        }
        zone.add(trigger, below, *action);
        ++stats.triggers;
    }
};

RpzStats RpzZone::load_file(const std::string& path, Blocklist& allow) {
    Reader r{*this, allow, path, {}, std::nullopt};
    wire::for_each_zone_record(path,
                               [&](wire::Record&& rec, int line) { r.take(std::move(rec), line); });
    return r.stats;
}

RpzStats RpzZone::load_text(const std::string& text, Blocklist& allow) {
    Reader r{*this, allow, label_, {}, std::nullopt};
    wire::for_each_zone_text_record(
        text, label_, [&](wire::Record&& rec, int line) { r.take(std::move(rec), line); });
    return r.stats;
}

void RpzZone::add(const Name& trigger, bool below, RpzAction action) {
    (below ? pending_below_ : pending_exact_).emplace_back(name_hash(trigger.wire()), action);
}

void RpzZone::seal() {
    sort_into(pending_exact_, exact_, exact_actions_);
    sort_into(pending_below_, below_, below_actions_);
}

std::optional<RpzAction> RpzZone::found(const std::vector<uint64_t>& keys,
                                        const std::vector<RpzAction>& actions, uint64_t key) const {
    auto it = std::lower_bound(keys.begin(), keys.end(), key);
    if (it == keys.end() || *it != key) return std::nullopt;
    return actions[static_cast<std::size_t>(it - keys.begin())];
}

std::optional<RpzZone::Hit> RpzZone::with_data(RpzAction action,
                                               std::string_view trigger_wire) const {
    if (action != RpzAction::local) return Hit{action, nullptr};
    auto data = data_.find(name_hash(trigger_wire));
    if (data == data_.end()) return std::nullopt;  // a hash collision, not this name
    return Hit{action, &data->second};
}

std::optional<RpzZone::Hit> RpzZone::match(const Name& name) const {
    std::string_view wire = name.wire();
    if (auto action = found(exact_, exact_actions_, name_hash(wire)))
        return with_data(*action, wire);
    if (below_.empty() || wire.size() <= 1) return std::nullopt;
    // Each parent, nearest first: the suffixes of the wire form that start at a label.
    for (std::size_t pos = 1 + static_cast<uint8_t>(wire[0]); pos < wire.size() && wire[pos] != 0;
         pos += 1 + static_cast<uint8_t>(wire[pos])) {
        std::string_view parent = wire.substr(pos);
        if (auto action = found(below_, below_actions_, name_hash(parent)))
            return with_data(*action, "\1*" + std::string(parent));
    }
    return std::nullopt;
}

std::size_t RpzZone::bytes() const {
    std::size_t n = (exact_.capacity() + below_.capacity()) * sizeof(uint64_t) +
                    exact_actions_.capacity() + below_actions_.capacity();
    // A map node, roughly: the key, the vector and two pointers; then the records.
    constexpr std::size_t kNode = sizeof(uint64_t) + sizeof(std::vector<RpzData>) + 16;
    for (const auto& entry : data_) {
        n += kNode;
        for (const auto& r : entry.second) n += sizeof(RpzData) + r.rdata.capacity();
    }
    return n + data_.bucket_count() * sizeof(void*);
}

}  // namespace port53::filter
