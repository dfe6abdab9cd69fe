#include "zone_signer.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

#include "test/unit/helpers.hpp"
#include "wire/types.hpp"

// ldns last: its headers must come after the C++ library ones (they break <optional>).
// clang-format off
#include <ldns/ldns.h>
// clang-format on

namespace port53::replay {
using namespace wire;

namespace {

struct KeyListFree {
    void operator()(ldns_key_list* l) const { ldns_key_list_free(l); }
};
struct RrFree {
    void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct RrListFree {
    void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
struct BufferFree {
    void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
using KeyList = std::unique_ptr<ldns_key_list, KeyListFree>;
using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
using RrList = std::unique_ptr<ldns_rr_list, RrListFree>;

std::vector<std::string> labels_of(const Name& n) {
    std::vector<std::string> out;
    std::string_view w = n.wire();
    for (std::size_t pos = 0; w[pos] != 0; pos += 1 + static_cast<uint8_t>(w[pos])) {
        std::string l(w.substr(pos + 1, static_cast<uint8_t>(w[pos])));
        for (char& c : l) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
        out.push_back(std::move(l));
    }
    return out;
}

std::string digest(const EVP_MD* md, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

void put16(std::string& s, uint16_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v));
}
void put32(std::string& s, uint32_t v) {
    put16(s, static_cast<uint16_t>(v >> 16));
    put16(s, static_cast<uint16_t>(v));
}

std::string random_bytes(std::size_t n) {
    static std::mt19937 gen(std::random_device{}());
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(gen());
    return out;
}

// Our records and ldns's meet in wire form: exact, whatever the type.
RrPtr to_ldns(const Record& r) {
    std::string w(r.owner.wire());
    put16(w, r.type);
    put16(w, r.cls);
    put32(w, r.ttl);
    put16(w, static_cast<uint16_t>(r.rdata.size()));
    w += r.rdata;
    ldns_rr* out = nullptr;
    size_t pos = 0;
    if (ldns_wire2rr(&out, reinterpret_cast<const uint8_t*>(w.data()), w.size(), &pos,
                     LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
        throw std::runtime_error("ldns cannot read record of " + r.owner.to_text());
    return RrPtr(out);
}

Record from_ldns(const ldns_rr* rr) {
    Record rec;
    const ldns_rdf* owner = ldns_rr_owner(rr);
    rec.owner =
        Name::from_wire(std::string_view(reinterpret_cast<const char*>(ldns_rdf_data(owner)),
                                         ldns_rdf_size(owner)))
            .value();
    rec.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
    rec.cls = static_cast<uint16_t>(ldns_rr_get_class(rr));
    rec.ttl = ldns_rr_ttl(rr);
    std::unique_ptr<ldns_buffer, BufferFree> buf(ldns_buffer_new(512));
    for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i)
        ldns_rdf2buffer_wire(buf.get(), ldns_rr_rdf(rr, i));
    rec.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buf.get())),
                     ldns_buffer_position(buf.get()));
    return rec;
}

bool ldns_can_sign(uint8_t alg) {
    return alg == 8 || alg == 10 || alg == 13 || alg == 14 || alg == 15 || alg == 16;
}

std::size_t rrsig_labels(const Name& owner) {
    std::size_t n = owner.label_count();
    if (!owner.is_root() && owner.first_label() == "*") --n;  // RFC 4034 §3.1.3
    return n;
}

}  // namespace

bool canonical_less(const Name& a, const Name& b) {
    auto la = labels_of(a), lb = labels_of(b);
    auto ia = la.rbegin(), ib = lb.rbegin();
    for (; ia != la.rend() && ib != lb.rend(); ++ia, ++ib)
        if (*ia != *ib) return *ia < *ib;  // std::string compares bytes as unsigned
    return ia == la.rend() && ib != lb.rend();
}

std::string nsec3_hash(const Name& name, const Nsec3Params& p) {
    std::string h = digest(EVP_sha1(), name.key() + p.salt);
    for (uint16_t i = 0; i < p.iterations; ++i) h = digest(EVP_sha1(), h + p.salt);
    return h;
}

Name nsec3_owner(const std::string& hash, const Name& zone) {
    std::string label = test::base32hex(hash);
    std::string w(1, static_cast<char>(label.size()));
    return Name::from_wire(w + label + std::string(zone.wire())).value();
}

std::string type_bitmap(std::vector<uint16_t> types) {
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    std::string out;
    for (std::size_t i = 0; i < types.size();) {
        uint8_t window = static_cast<uint8_t>(types[i] >> 8);
        std::string bits(32, '\0');
        std::size_t used = 0;
        for (; i < types.size() && (types[i] >> 8) == window; ++i) {
            uint8_t low = static_cast<uint8_t>(types[i]);
            bits[low / 8] = static_cast<char>(bits[low / 8] | (0x80 >> (low % 8)));
            used = std::max<std::size_t>(used, low / 8 + 1);
        }
        out.push_back(static_cast<char>(window));
        out.push_back(static_cast<char>(used));
        out += bits.substr(0, used);
    }
    return out;
}

std::string record_to_text(const Record& r) {
    RrPtr rr = to_ldns(r);
    char* s = ldns_rr2str(rr.get());
    std::string out = s ? s : r.owner.to_text() + " ?";
    free(s);  // NOLINT: ldns allocates with malloc
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

uint16_t compute_key_tag(std::string_view rdata) {
    uint32_t ac = 0;
    for (std::size_t i = 0; i < rdata.size(); ++i)
        ac += (i & 1) ? static_cast<uint8_t>(rdata[i]) : static_cast<uint8_t>(rdata[i]) << 8;
    ac += (ac >> 16) & 0xFFFF;
    return static_cast<uint16_t>(ac & 0xFFFF);
}

Record make_ds(const Record& dnskey, uint8_t digest_type) {
    std::string rd;
    put16(rd, compute_key_tag(dnskey.rdata));
    rd.push_back(dnskey.rdata.at(3));  // the key's algorithm
    rd.push_back(static_cast<char>(digest_type));
    std::string input = dnskey.owner.key() + dnskey.rdata;  // RFC 4034 §5.1.4
    if (digest_type == 1)
        rd += digest(EVP_sha1(), input);
    else if (digest_type == 2)
        rd += digest(EVP_sha256(), input);
    else if (digest_type == 4)
        rd += digest(EVP_sha384(), input);
    else
        rd += random_bytes(32);
    return Record{dnskey.owner, type::DS, cls::IN, dnskey.ttl, rd};
}

struct ZoneSigner::Keys {
    KeyList ksk, zsk;               // ldns keys, when ldns implements the algorithm
    Record ksk_record, zsk_record;  // DNSKEY records (fake ones otherwise)
};

ZoneSigner::ZoneSigner(Name apex, SigningOptions options, uint32_t unix_now)
    : apex_(std::move(apex)),
      options_(std::move(options)),
      now_(unix_now),
      keys_(std::make_unique<Keys>()) {
    auto generate = [&](uint16_t flags, KeyList& list, Record& record) {
        uint8_t alg = options_.algorithm;
        if (!ldns_can_sign(alg)) {
            // An algorithm port53 does not implement: the records only need the right shape.
            std::string rd;
            put16(rd, flags);
            rd.push_back(3);
            rd.push_back(static_cast<char>(alg));
            rd += random_bytes(64);
            record = Record{apex_, type::DNSKEY, cls::IN, 3600, rd};
            return;
        }
        uint16_t bits = alg == 8 || alg == 10 ? (flags == 257 ? 2048 : 1024)
                        : alg == 14           ? 384
                        : alg == 16           ? 456
                                              : 256;
        ldns_key* key = ldns_key_new_frm_algorithm(static_cast<ldns_signing_algorithm>(alg), bits);
        if (!key)
            throw std::runtime_error("ldns cannot generate keys of algorithm " +
                                     std::to_string(alg));
        list.reset(ldns_key_list_new());
        ldns_key_list_push_key(list.get(), key);  // the list owns the key from here
        ldns_key_set_pubkey_owner(
            key, ldns_dname_new_frm_data(static_cast<uint16_t>(apex_.size()), apex_.wire().data()));
        ldns_key_set_flags(key, flags);
        RrPtr tag_source(ldns_key2rr(key));  // the tag depends on the flags just set
        ldns_key_set_keytag(key, ldns_calc_keytag(tag_source.get()));
        ldns_key_set_inception(key, static_cast<uint32_t>(now_ + options_.inception));
        ldns_key_set_expiration(key, static_cast<uint32_t>(now_ + options_.expiration));
        RrPtr pub(ldns_key2rr(key));
        record = from_ldns(pub.get());
        record.ttl = 3600;
    };
    generate(257, keys_->ksk, keys_->ksk_record);
    generate(256, keys_->zsk, keys_->zsk_record);
}

ZoneSigner::~ZoneSigner() = default;

std::vector<Record> ZoneSigner::dnskeys() const {
    return {keys_->ksk_record, keys_->zsk_record};
}

void ZoneSigner::revoke_ksk() {
    constexpr uint16_t kRevokedKsk = 257 | 0x0080;
    if (!keys_->ksk) throw std::runtime_error("revoke_ksk: no real key to revoke");
    ldns_key* key = ldns_key_list_key(keys_->ksk.get(), 0);
    ldns_key_set_flags(key, kRevokedKsk);
    RrPtr tag_source(ldns_key2rr(key));
    ldns_key_set_keytag(key, ldns_calc_keytag(tag_source.get()));
    RrPtr pub(ldns_key2rr(key));
    uint32_t ttl = keys_->ksk_record.ttl;
    keys_->ksk_record = from_ldns(pub.get());
    keys_->ksk_record.ttl = ttl;
}

Record ZoneSigner::ksk_ds(uint8_t digest_type) const {
    return make_ds(keys_->ksk_record, digest_type);
}

std::vector<Record> ZoneSigner::sign_rrset(const std::vector<Record>& rrset) const {
    if (rrset.empty()) return {};
    bool is_ksk = rrset.front().type == type::DNSKEY;
    const KeyList& list = is_ksk ? keys_->ksk : keys_->zsk;
    if (!list) {
        // Fake algorithm: a well-formed RRSIG (RFC 4034 §3.1) whose signature is noise.
        const Record& f = rrset.front();
        std::string rd;
        put16(rd, f.type);
        rd.push_back(static_cast<char>(options_.algorithm));
        rd.push_back(static_cast<char>(rrsig_labels(f.owner)));
        put32(rd, f.ttl);
        put32(rd, static_cast<uint32_t>(now_ + options_.expiration));
        put32(rd, static_cast<uint32_t>(now_ + options_.inception));
        put16(rd, compute_key_tag((is_ksk ? keys_->ksk_record : keys_->zsk_record).rdata));
        rd += apex_.key();
        rd += random_bytes(64);
        return {Record{f.owner, type::RRSIG, f.cls, f.ttl, rd}};
    }
    RrList set(ldns_rr_list_new());
    for (const auto& r : rrset) ldns_rr_list_push_rr(set.get(), to_ldns(r).release());
    RrList sigs(ldns_sign_public(set.get(), list.get()));
    if (!sigs) throw std::runtime_error("ldns failed to sign " + rrset.front().owner.to_text());
    std::vector<Record> out;
    for (size_t i = 0; i < ldns_rr_list_rr_count(sigs.get()); ++i) {
        Record sig = from_ldns(ldns_rr_list_rr(sigs.get(), i));
        sig.owner = rrset.front().owner;  // keep the owner's case as the zone wrote it
        out.push_back(std::move(sig));
    }
    return out;
}

namespace {

// What kind of name each owner is: the apex, a zone cut, data below a cut (glue, not
// authoritative: RFC 4035 §2.2 leaves it unsigned), or ordinary authoritative data.
enum class Role { apex, cut, occluded, data };

Role role_of(const Name& owner, const Name& apex, const std::set<std::string>& cuts) {
    if (owner == apex) return Role::apex;
    for (Name up = owner.parent(); !(up == apex) && up.is_subdomain_of(apex); up = up.parent())
        if (cuts.contains(up.key())) return Role::occluded;
    return cuts.contains(owner.key()) ? Role::cut : Role::data;
}

struct Owner {
    Name name;
    std::vector<uint16_t> types;
    Role role = Role::data;
};

std::vector<Owner> owners_of(const std::vector<Record>& records, const Name& apex) {
    std::set<std::string> cuts;
    for (const auto& r : records)
        if (r.type == type::NS && !(r.owner == apex)) cuts.insert(r.owner.key());
    std::map<std::string, Owner> by_key;
    for (const auto& r : records) {
        Owner& o = by_key[r.owner.key()];
        o.name = r.owner;
        o.types.push_back(r.type);
        o.role = role_of(r.owner, apex, cuts);
    }
    std::vector<Owner> out;
    for (auto& [key, o] : by_key) out.push_back(std::move(o));
    std::sort(out.begin(), out.end(),
              [](const Owner& a, const Owner& b) { return canonical_less(a.name, b.name); });
    return out;
}

bool has(const std::vector<uint16_t>& types, uint16_t t) {
    return std::find(types.begin(), types.end(), t) != types.end();
}

}  // namespace

std::vector<Record> ZoneSigner::denial_chain(const std::vector<Record>& records,
                                             uint32_t ttl) const {
    std::vector<Owner> owners = owners_of(records, apex_);
    std::erase_if(owners, [](const Owner& o) { return o.role == Role::occluded; });
    std::vector<Record> out;
    if (options_.denial == Denial::nsec) {
        // RFC 4035 §2.3: every authoritative name and cut, in canonical order, in a ring.
        for (std::size_t i = 0; i < owners.size(); ++i) {
            std::vector<uint16_t> types = owners[i].types;
            if (owners[i].role == Role::cut)
                std::erase_if(types, [](uint16_t t) { return t != type::NS && t != type::DS; });
            types.push_back(type::NSEC);
            types.push_back(type::RRSIG);
            std::string rd(owners[(i + 1) % owners.size()].name.wire());
            out.push_back(
                Record{owners[i].name, type::NSEC, cls::IN, ttl, rd + type_bitmap(types)});
        }
        return out;
    }
    // RFC 5155 §7.1: every authoritative name and every empty non-terminal above one, hashed.
    // With opt-out, unsigned delegations (and what exists only because of them) are left out.
    const Nsec3Params& p = options_.nsec3;
    std::map<std::string, std::pair<Name, std::vector<uint16_t>>> names;
    for (const auto& o : owners) {
        bool unsigned_cut = o.role == Role::cut && !has(o.types, type::DS);
        if (unsigned_cut && p.opt_out) continue;
        std::vector<uint16_t> types = o.types;
        if (o.role == Role::cut)
            std::erase_if(types, [](uint16_t t) { return t != type::NS && t != type::DS; });
        if (!unsigned_cut) types.push_back(type::RRSIG);
        names[o.name.key()] = {o.name, types};
        for (Name up = o.name.parent(); !(up == apex_) && up.is_subdomain_of(apex_);
             up = up.parent())
            names.try_emplace(up.key(), up, std::vector<uint16_t>{});
    }
    std::vector<std::pair<std::string, const std::vector<uint16_t>*>> hashed;
    for (const auto& [key, entry] : names)
        hashed.emplace_back(nsec3_hash(entry.first, p), &entry.second);
    std::sort(hashed.begin(), hashed.end());
    for (std::size_t i = 0; i < hashed.size(); ++i) {
        std::string rd;
        rd.push_back(1);  // SHA-1
        rd.push_back(p.opt_out ? 1 : 0);
        put16(rd, p.iterations);
        rd.push_back(static_cast<char>(p.salt.size()));
        rd += p.salt;
        const std::string& next = hashed[(i + 1) % hashed.size()].first;
        rd.push_back(static_cast<char>(next.size()));
        rd += next;
        rd += type_bitmap(*hashed[i].second);
        out.push_back(Record{nsec3_owner(hashed[i].first, apex_), type::NSEC3, cls::IN, ttl, rd});
    }
    return out;
}

std::vector<Record> ZoneSigner::sign_zone(std::vector<Record> records) const {
    for (const auto& k : dnskeys()) records.push_back(k);
    uint32_t denial_ttl = 300;
    for (const auto& r : records)
        if (r.type == type::SOA && r.owner == apex_ && r.rdata.size() >= 4)
            denial_ttl = std::min(
                r.ttl,
                load32(reinterpret_cast<const uint8_t*>(r.rdata.data() + r.rdata.size() - 4)));
    if (options_.denial == Denial::nsec3) {
        std::string rd;
        rd.push_back(1);
        rd.push_back(0);  // flags are zero in NSEC3PARAM (RFC 5155 §4.1.2)
        put16(rd, options_.nsec3.iterations);
        rd.push_back(static_cast<char>(options_.nsec3.salt.size()));
        rd += options_.nsec3.salt;
        records.push_back(Record{apex_, 51, cls::IN, 0, rd});
    }
    std::vector<Record> chain = denial_chain(records, denial_ttl);
    records.insert(records.end(), chain.begin(), chain.end());

    std::vector<Owner> owners = owners_of(records, apex_);
    std::map<std::pair<std::string, uint16_t>, std::vector<Record>> sets;
    for (const auto& r : records) sets[{r.owner.key(), r.type}].push_back(r);
    std::vector<Record> out = records;
    for (const auto& o : owners) {
        if (o.role == Role::occluded) continue;
        for (uint16_t t : o.types) {
            // At a cut only the parent's own data is signed: DS and the denial records.
            if (o.role == Role::cut && t != type::DS && t != type::NSEC && t != type::NSEC3)
                continue;
            auto& set = sets[{o.name.key(), t}];
            if (set.empty()) continue;
            auto sigs = sign_rrset(set);
            out.insert(out.end(), sigs.begin(), sigs.end());
            set.clear();  // each RRset once, whatever the order of its owner's types
        }
    }
    return out;
}

}  // namespace port53::replay
