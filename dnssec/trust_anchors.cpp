#include "dnssec/trust_anchors.hpp"

#include <algorithm>
#include <stdexcept>

#include "wire/types.hpp"
#include "wire/zone_file.hpp"

namespace port53::dnssec {
using namespace wire;

namespace {
constexpr const char* kRootAnchors = R"(
. 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. 172800 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
)";
}  // namespace

TrustAnchors TrustAnchors::from_records(const std::vector<Record>& records) {
    TrustAnchors t;
    for (const auto& r : records) {
        if (r.type != type::DS && r.type != type::DNSKEY) continue;
        auto it = std::find_if(t.anchors_.begin(), t.anchors_.end(),
                               [&](const Point& p) { return p.zone == r.owner; });
        if (it == t.anchors_.end())
            t.anchors_.push_back(Point{r.owner, {r}, nullptr});
        else
            it->records.push_back(r);
    }
    return t;
}

TrustAnchors TrustAnchors::builtin() {
    return from_records(parse_zone_text(kRootAnchors, "<built-in trust anchors>"));
}

TrustAnchors TrustAnchors::load(const std::string& path) {
    TrustAnchors t = from_records(load_zone_records(path));
    if (t.empty())
        throw std::runtime_error(path + ":1: no DS or DNSKEY records in the trust anchor file");
    return t;
}

void TrustAnchors::manage(std::shared_ptr<const LiveAnchor> live) {
    const Name& zone = live->zone();
    auto it = std::find_if(anchors_.begin(), anchors_.end(),
                           [&](const Point& p) { return p.zone == zone; });
    if (it == anchors_.end()) {
        anchors_.push_back(Point{zone, {}, std::move(live)});
        return;
    }
    it->records.clear();
    it->live = std::move(live);
}

std::optional<std::vector<Record>> TrustAnchors::anchor_for(const Name& zone) const {
    for (const auto& p : anchors_)
        if (p.zone == zone) return p.live ? p.live->get() : p.records;
    return std::nullopt;
}

uint64_t TrustAnchors::generation(const Name& zone) const {
    for (const auto& p : anchors_)
        if (p.live && p.zone == zone) return p.live->generation();
    return 0;
}

std::vector<Name> TrustAnchors::zones() const {
    std::vector<Name> out;
    for (const auto& p : anchors_) out.push_back(p.zone);
    return out;
}

std::optional<Name> TrustAnchors::closest_anchor(const Name& name) const {
    std::optional<Name> best;
    for (const auto& p : anchors_)
        if (name.is_subdomain_of(p.zone) && (!best || p.zone.label_count() > best->label_count()))
            best = p.zone;
    return best;
}

bool TrustAnchors::under_negative_anchor(const Name& name) const {
    for (const auto& n : negative_)
        if (name.is_subdomain_of(n)) return true;
    return false;
}

}  // namespace port53::dnssec
