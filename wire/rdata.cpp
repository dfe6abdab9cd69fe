#include "wire/rdata.hpp"

namespace port53::wire {

std::optional<std::size_t> uncompressed_name_length(std::string_view data) {
    // The same rules as Name::from_wire, without building the name: the accessors that build
    // a Name from these bytes then cannot fail.
    for (std::size_t pos = 0; pos < data.size() && pos < kMaxNameWire;) {
        auto len = static_cast<uint8_t>(data[pos]);
        if (len == 0) return pos + 1;
        if (len > kMaxLabel) return std::nullopt;  // also every compression pointer (0xC0)
        pos += 1 + len;
    }
    return std::nullopt;
}

bool TypeBitmap::has(uint16_t type) const {
    std::size_t pos = 0;
    while (pos + 2 <= bytes_.size()) {
        auto window = static_cast<uint8_t>(bytes_[pos]);
        std::size_t len = static_cast<uint8_t>(bytes_[pos + 1]);
        if (pos + 2 + len > bytes_.size()) return false;
        if (window == (type >> 8)) {
            std::size_t byte = (type & 0xFF) / 8;
            return byte < len &&
                   (static_cast<uint8_t>(bytes_[pos + 2 + byte]) & (0x80 >> (type % 8))) != 0;
        }
        pos += 2 + len;
    }
    return false;
}

std::optional<SoaView> SoaView::parse(std::string_view rdata) {
    auto mname = uncompressed_name_length(rdata);
    if (!mname) return std::nullopt;
    auto rname = uncompressed_name_length(rdata.substr(*mname));
    if (!rname) return std::nullopt;
    std::size_t counters_at = *mname + *rname;
    if (rdata.size() != counters_at + 20) return std::nullopt;  // five 32-bit fields
    return SoaView(rdata, *mname, counters_at);
}

std::optional<DnskeyView> DnskeyView::parse(std::string_view rdata) {
    if (rdata.size() < 4) return std::nullopt;
    return DnskeyView(rdata);
}

std::optional<RrsigView> RrsigView::parse(std::string_view rdata) {
    if (rdata.size() < kSignerAt) return std::nullopt;
    auto signer = uncompressed_name_length(rdata.substr(kSignerAt));
    if (!signer) return std::nullopt;
    return RrsigView(rdata, *signer);
}

std::optional<DsView> DsView::parse(std::string_view rdata) {
    if (rdata.size() < 4) return std::nullopt;
    return DsView(rdata);
}

std::optional<NsecView> NsecView::parse(std::string_view rdata) {
    auto next = uncompressed_name_length(rdata);
    if (!next) return std::nullopt;
    return NsecView(rdata, *next);
}

std::optional<Nsec3View> Nsec3View::parse(std::string_view rdata) {
    if (rdata.size() < kSaltAt) return std::nullopt;
    std::size_t hash_len_at = kSaltAt + static_cast<uint8_t>(rdata[4]);
    if (hash_len_at >= rdata.size()) return std::nullopt;
    std::size_t hash_at = hash_len_at + 1;
    if (hash_at + static_cast<uint8_t>(rdata[hash_len_at]) > rdata.size()) return std::nullopt;
    return Nsec3View(rdata, hash_at);
}

// RFC 3597 §4 lists the types whose names may be compressed; RFC 4034 §6.2 lowercases
// the same ones (plus a few obsolete ones the signature check leaves to ldns).
const char* rdata_name_layout(uint16_t t) {
    switch (t) {
        case type::NS:
        case type::CNAME:
        case type::PTR:
        case type::DNAME:
        case 7:  // MB
        case 8:  // MG
        case 9:  // MR
            return "N";
        case type::SOA:
            return "NNT";
        case type::MX:
        case 18:  // AFSDB
        case 21:  // RT
        case 36:  // KX
            return "2N";
        case 14:  // MINFO
        case 17:  // RP
            return "NN";
        case type::SRV:
            return "6N";
        default:
            return nullptr;
    }
}

}  // namespace port53::wire
