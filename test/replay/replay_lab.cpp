#include "replay_lab.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::replay {
using namespace wire;

namespace {

[[noreturn]] void fail(const Scenario& s, int line, const std::string& what) {
    throw ScenarioError(s.file + ":" + std::to_string(line) + ": " + what);
}

bool has_record(const std::vector<Record>& rrs, const Name& owner, uint16_t t) {
    return std::any_of(rrs.begin(), rrs.end(),
                       [&](const Record& r) { return r.owner == owner && r.type == t; });
}

// RFC 1035 §3.3.13; the MINIMUM (300) is the negative TTL (RFC 2308 §4).
Record default_soa(const ZoneSpec& z) {
    Name mname = z.apex;
    for (const auto& r : z.records)
        if (r.owner == z.apex && r.type == type::NS) mname = *rdata_target(type::NS, r.rdata);
    std::string rd =
        std::string(mname.wire()) + std::string(Name::from_text("hostmaster.invalid.")->wire());
    for (uint32_t v : {1u, 3600u, 600u, 86400u, 300u}) {
        uint8_t b[4];
        store32(b, v);
        rd.append(reinterpret_cast<char*>(b), 4);
    }
    return Record{z.apex, type::SOA, cls::IN, 3600, rd};
}

bool on_off(const Scenario& s, const ConfigItem& c) {
    if (c.value == "on" || c.value == "yes" || c.value == "true") return true;
    if (c.value == "off" || c.value == "no" || c.value == "false") return false;
    fail(s, c.line, "config " + c.key + " takes on or off, not '" + c.value + "'");
}

uint32_t count(const Scenario& s, const ConfigItem& c) {
    try {
        return static_cast<uint32_t>(std::stoul(c.value));
    } catch (const std::exception&) {
        fail(s, c.line, "config " + c.key + " takes a number, not '" + c.value + "'");
    }
}

}  // namespace

Lab::Lab(const Scenario& s, bool trace) {
    net_.set_trace(trace);
    net_.set_signing_time(clock_.unix_now());
    build_zones(s);
    configure(s);
    engine_ =
        std::make_unique<engine::Engine>(engine_settings_, hints_, rrsets_, infra_, net_, clock_);
    server_ = std::make_unique<server::Server>(server_settings_, *engine_, answers_, clock_);
}

Lab::~Lab() = default;

void Lab::build_zones(const Scenario& s) {
    std::vector<ZoneSpec> zones = s.zones;
    for (auto& z : zones) {
        if (!has_record(z.records, z.apex, type::NS))
            fail(s, z.line, "zone " + z.apex.to_text() + " has no NS records at its apex");
        if (!has_record(z.records, z.apex, type::SOA)) z.records.push_back(default_soa(z));
        for (const auto& other : zones)
            if (&other != &z && other.apex == z.apex)
                fail(s, other.line, "zone " + z.apex.to_text() + " is declared twice");
    }
    // Deepest first: a child's DS must be in its parent before the parent is signed.
    std::stable_sort(zones.begin(), zones.end(), [](const ZoneSpec& a, const ZoneSpec& b) {
        return a.apex.label_count() > b.apex.label_count();
    });
    for (std::size_t i = 0; i < zones.size(); ++i) {
        ZoneSpec& z = zones[i];
        ZoneSigner* signer = nullptr;
        if (z.is_signed) {
            signers_.push_back(std::make_unique<ZoneSigner>(z.apex, z.signing, clock_.unix_now()));
            signer = signers_.back().get();
            ds_by_zone_[z.apex.key()] = {signer->ksk_ds(z.ds_digest)};
        }
        ZoneSpec* parent = nullptr;
        for (std::size_t j = i + 1; j < zones.size() && !parent && !z.undelegated; ++j)
            if (z.apex.is_subdomain_of(zones[j].apex) && !(z.apex == zones[j].apex))
                parent = &zones[j];
        if (parent && !has_record(parent->records, z.apex, type::NS))
            fail(s, z.line,
                 "parent zone " + parent->apex.to_text() + " has no NS for " + z.apex.to_text());
        if (signer && parent && z.ds != ZoneSpec::Ds::none) {
            Record ds = ds_by_zone_[z.apex.key()].front();
            if (z.ds == ZoneSpec::Ds::mismatch) ds.rdata.back() ^= 0xFF;  // matches no key
            parent->records.push_back(ds);
        }
        std::vector<Record> records = signer ? signer->sign_zone(z.records) : z.records;
        authorities_.push_back(std::make_unique<Authority>(z.apex, std::move(records)));
        for (const auto& server : z.servers) net_.serve(server, authorities_.back().get(), signer);
    }
    const ZoneSpec* root = nullptr;
    for (const auto& z : zones)
        if (z.apex.is_root()) root = &z;
    if (!root) fail(s, 1, "there is no root zone (zone . servers ...)");
    // Root hints: the root's NS names and their glue, or made-up names for its servers.
    for (const auto& r : root->records) {
        if (r.owner.is_root() && r.type == type::NS) hints_.ns.push_back(r);
        if (r.type != type::NS || !r.owner.is_root()) continue;
        Name target = *rdata_target(type::NS, r.rdata);
        for (const auto& a : root->records)
            if (a.owner == target && (a.type == type::A || a.type == type::AAAA))
                hints_.addrs.push_back(a);
    }
    net_.set_root_ns(*rdata_target(type::NS, hints_.ns.front().rdata));
    if (hints_.addrs.empty()) {
        hints_.ns.clear();
        for (std::size_t i = 0; i < root->servers.size(); ++i) {
            Name n = *Name::from_text("hint" + std::to_string(i) + ".root-servers.test.");
            hints_.ns.push_back(Record{Name{}, type::NS, cls::IN, 518400, std::string(n.wire())});
            auto addr = upstream::ServerAddr::parse(root->servers[i]);
            if (!addr) fail(s, root->line, "bad server address " + root->servers[i]);
            std::string rd(reinterpret_cast<const char*>(addr->ip.data()), addr->v6 ? 16 : 4);
            hints_.addrs.push_back(Record{n, addr->v6 ? type::AAAA : type::A, cls::IN, 518400, rd});
        }
    }
}

void Lab::configure(const Scenario& s) {
    engine_settings_.validate = true;
    engine_settings_.prime_root = false;  // scenarios count queries from the hints on
    // The scenarios' client (see ask()) has a public address, which the default list refuses.
    server_settings_.acl = server::Acl::parse({"198.51.100.53 allow"});
    std::optional<std::string> anchor = ".";
    auto nta = std::make_shared<std::vector<Name>>();
    for (const auto& c : s.config) {
        const std::string& k = c.key;
        if (k == "qname_minimisation")
            engine_settings_.qname_minimisation = on_off(s, c);
        else if (k == "validate")
            engine_settings_.validate = on_off(s, c);
        else if (k == "use_0x20")
            engine_settings_.use_0x20 = on_off(s, c);
        else if (k == "hints")
            keep_hints(s, c);
        else if (k == "prime_root")
            engine_settings_.prime_root = on_off(s, c);
        else if (k == "aggressive_nsec")
            engine_settings_.aggressive_nsec = on_off(s, c);
        else if (k == "send_cookies")
            engine_settings_.send_cookies = on_off(s, c);
        else if (k == "use_ipv6")
            engine_settings_.use_ipv6 = on_off(s, c);
        else if (k == "max_upstream_queries")
            engine_settings_.max_upstream_queries = static_cast<int>(count(s, c));
        else if (k == "max_referrals")
            engine_settings_.max_referrals = static_cast<int>(count(s, c));
        else if (k == "max_cname_chain")
            engine_settings_.max_cname_chain = static_cast<int>(count(s, c));
        else if (k == "max_ns_depth")
            engine_settings_.max_ns_depth = static_cast<int>(count(s, c));
        else if (k == "max_ns_lookups")
            engine_settings_.max_ns_lookups = static_cast<int>(count(s, c));
        else if (k == "nsec3_max_iterations")
            engine_settings_.dnssec_limits.nsec3_max_iterations =
                static_cast<uint16_t>(count(s, c));
        else if (k == "max_verifications")
            engine_settings_.dnssec_limits.max_verifications = static_cast<int>(count(s, c));
        else if (k == "max_nsec3_hashes")
            engine_settings_.dnssec_limits.max_nsec3_hashes = static_cast<int>(count(s, c));
        else if (k == "prefetch")
            server_settings_.prefetch = on_off(s, c);
        else if (k == "serve_stale")
            server_settings_.serve_stale = on_off(s, c);
        else if (k == "max_stale")
            server_settings_.max_stale = count(s, c);
        else if (k == "stale_ttl")
            server_settings_.stale_ttl = count(s, c);
        else if (k == "trust_anchor")
            anchor = c.value == "none" ? std::nullopt : std::optional(c.value);
        else if (k.starts_with("forward") || k.starts_with("stub"))
            add_route(s, c);
        else if (k == "nta") {
            auto n = Name::from_text(c.value);
            if (!n) fail(s, c.line, "bad name " + c.value);
            nta->push_back(*n);
        } else
            fail(s, c.line, "unknown config key '" + k + "'");
    }
    if (!engine_settings_.validate || !anchor) return;
    auto point = Name::from_text(*anchor);
    auto it = point ? ds_by_zone_.find(point->key()) : ds_by_zone_.end();
    if (it == ds_by_zone_.end()) {
        // An unsigned root: nothing to anchor to, so the engine validates nothing.
        if (*anchor == ".") return;
        fail(s, 1, "trust_anchor " + *anchor + " is not a signed zone");
    }
    auto anchors =
        std::make_shared<dnssec::TrustAnchors>(dnssec::TrustAnchors::from_records(it->second));
    for (const auto& n : *nta) anchors->add_negative(n);
    engine_settings_.anchors = anchors;
}

// `config forward ZONE=ADDR,ADDR` (and forward_first, forward_insecure, forward_tls, stub,
// stub_first, stub_insecure): a forward or stub zone reached at those servers.
void Lab::add_route(const Scenario& s, const ConfigItem& c) {
    auto eq = c.value.find('=');
    auto zone = Name::from_text(c.value.substr(0, eq));
    if (eq == std::string::npos || !zone)
        fail(s, c.line, "config " + c.key + " takes ZONE=ADDRESS,ADDRESS, not '" + c.value + "'");
    std::string kind = c.key.substr(c.key.find('_') + 1);
    if (kind != c.key && kind != "first" && kind != "insecure" &&
        (kind != "tls" || !c.key.starts_with("forward")))
        fail(s, c.line, "unknown config key '" + c.key + "'");
    engine::ZoneRoute route{*zone, {}, kind == "first", kind == "insecure", kind == "tls"};
    for (std::size_t at = eq + 1; at <= c.value.size();) {
        std::size_t comma = std::min(c.value.find(',', at), c.value.size());
        auto addr = upstream::ServerAddr::parse(c.value.substr(at, comma - at));
        if (!addr) fail(s, c.line, "bad server address in '" + c.value + "'");
        route.servers.push_back({*addr, {}});
        at = comma + 1;
    }
    auto& routes =
        c.key.starts_with("forward") ? engine_settings_.forward_zones : engine_settings_.stub_zones;
    routes.push_back(std::move(route));
}

void Lab::keep_hints(const Scenario& s, const ConfigItem& c) {
    // Stale hints: keep only the root server at this address (the root zone may name more).
    auto addr = upstream::ServerAddr::parse(c.value);
    if (!addr) fail(s, c.line, "config hints takes a server address, not '" + c.value + "'");
    std::vector<Name> kept;
    std::erase_if(hints_.addrs, [&](const Record& r) {
        auto a = upstream::ServerAddr::from_rdata(r.type, r.rdata);
        bool keep = a && a->ip == addr->ip && a->v6 == addr->v6;
        if (keep) kept.push_back(r.owner);
        return !keep;
    });
    if (kept.empty()) fail(s, c.line, "no root hint has address " + c.value);
    std::erase_if(hints_.ns, [&](const Record& r) {
        auto n = rdata_target(type::NS, r.rdata);
        return !n || std::find(kept.begin(), kept.end(), *n) == kept.end();
    });
}

ClientReply Lab::ask(const QuerySpec& q) {
    MessageBuilder b;
    uint16_t flags = static_cast<uint16_t>((q.rd ? flag::RD : 0) | (q.cd ? flag::CD : 0) |
                                           (q.ad ? flag::AD : 0));
    b.header(next_id_++, flags);
    b.question(q.qname, q.qtype, cls::IN);
    if (q.edns) b.add_opt(q.udp ? 1232 : 4096, q.dnssec_ok);
    std::vector<uint8_t> query = b.take();
    sockaddr_in client{};
    client.sin_family = AF_INET;
    inet_pton(AF_INET, "198.51.100.53", &client.sin_addr);
    const auto* from = reinterpret_cast<const sockaddr*>(&client);
    auto transport = q.udp ? server::ClientTransport::udp : server::ClientTransport::tcp;

    std::size_t before = net_.log().size();
    int unwanted_before = net_.unwanted();
    std::vector<uint8_t> out(kMaxMessageSize);
    std::size_t len = 0;
    std::vector<uint8_t> reply;
    switch (server_->handle_fast(query, out, len, transport, from)) {
        case server::Server::Fast::answered:
            reply.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(len));
            break;
        case server::Server::Fast::drop:
            break;
        case server::Server::Fast::resolve:
            server_->handle_slow(
                query, transport, io_.get_executor(),
                [&reply](std::span<const uint8_t> r) { reply.assign(r.begin(), r.end()); }, from);
            io_.restart();
            io_.run();
            break;
    }
    ClientReply cr;
    cr.upstream.assign(net_.log().begin() + static_cast<std::ptrdiff_t>(before), net_.log().end());
    cr.unwanted = net_.unwanted() - unwanted_before;
    if (!reply.empty()) {
        cr.answered = true;
        cr.msg = parse_message(reply).value();
        cr.ede = extract_ede(reply);
    }
    return cr;
}

uint16_t extract_ede(std::span<const uint8_t> m) {
    if (m.size() < kHeaderSize) return ede::none;
    std::size_t pos = kHeaderSize;
    for (uint16_t i = 0; i < load16(&m[4]); ++i) {
        if (!read_name(m, pos)) return ede::none;
        pos += 4;
    }
    uint32_t records = uint32_t{load16(&m[6])} + load16(&m[8]) + load16(&m[10]);
    for (uint32_t i = 0; i < records; ++i) {
        if (!read_name(m, pos) || pos + 10 > m.size()) return ede::none;
        uint16_t t = load16(&m[pos]);
        std::size_t rdlen = load16(&m[pos + 8]);
        pos += 10;
        if (pos + rdlen > m.size()) return ede::none;
        // RFC 6891 §6.1.2 options: code, length, data; EDE is code 15 (RFC 8914 §2).
        for (std::size_t o = pos; t == type::OPT && o + 4 <= pos + rdlen;) {
            uint16_t code = load16(&m[o]), olen = load16(&m[o + 2]);
            if (code == edns_option::EDE && olen >= 2 && o + 6 <= pos + rdlen)
                return load16(&m[o + 4]);
            o += 4 + olen;
        }
        pos += rdlen;
    }
    return ede::none;
}

}  // namespace port53::replay
