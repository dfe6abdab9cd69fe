#include "replay_network.hpp"

#include <algorithm>
#include <iostream>

#include "upstream/cookies.hpp"
#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::replay {
using namespace wire;

namespace {

uint16_t covered(const Record& sig) {
    return sig.rdata.size() >= 2 ? load16(reinterpret_cast<const uint8_t*>(sig.rdata.data())) : 0;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
    return s;
}

// Removes records of `types` from `section`, with the RRSIGs that cover them.
void strip(std::vector<Record>& section, std::initializer_list<uint16_t> types) {
    auto listed = [&](uint16_t t) {
        return std::find(types.begin(), types.end(), t) != types.end();
    };
    std::erase_if(section, [&](const Record& r) {
        return listed(r.type) || (r.type == type::RRSIG && listed(covered(r)));
    });
}

void sign_section(std::vector<Record>& section, const ZoneSigner& signer) {
    std::vector<Record> sigs;
    std::vector<bool> done(section.size());
    for (std::size_t i = 0; i < section.size(); ++i) {
        if (done[i] || section[i].type == type::RRSIG) continue;
        std::vector<Record> set;
        for (std::size_t j = i; j < section.size(); ++j)
            if (section[j].owner == section[i].owner && section[j].type == section[i].type) {
                set.push_back(section[j]);
                done[j] = true;
            }
        auto s = signer.sign_rrset(set);
        sigs.insert(sigs.end(), s.begin(), s.end());
    }
    section.insert(section.end(), sigs.begin(), sigs.end());
}

std::string address_only(const upstream::ServerAddr& a) {
    std::string s = a.to_string();
    s.resize(s.rfind(':'));
    if (s.size() > 1 && s.front() == '[') s = s.substr(1, s.size() - 2);
    return s;
}

// The client cookie of a query's COOKIE option, when the option is well formed (RFC 7873 §4).
std::optional<std::string_view> client_cookie(const Message& q) {
    auto c = q.edns ? q.edns->option(edns_option::COOKIE) : std::nullopt;
    if (!c || (c->size() != 8 && (c->size() < 16 || c->size() > 40))) return std::nullopt;
    return c->substr(0, 8);
}

}  // namespace

void corrupt_signatures(std::vector<Record>& records) {
    for (auto& r : records)
        if (r.type == type::RRSIG && !r.rdata.empty()) r.rdata.back() ^= 0x5A;
}

void ReplayNetwork::serve(const std::string& server, const Authority* zone,
                          const ZoneSigner* signer) {
    servers_[server].push_back({zone, signer});
    if (signer) signers_[zone->apex().key()] = signer;
}

const ZoneSigner& ReplayNetwork::key_source(const FaultSpec& f, const KeySource& k) {
    auto fail = [&](const std::string& what) -> const ZoneSigner& {
        throw ScenarioError(std::to_string(f.line) + ": " + what);
    };
    if (k.zone && k.impostor) {
        auto& slot = impostors_[k.zone->key()];
        if (!slot) slot = std::make_unique<ZoneSigner>(*k.zone, SigningOptions{}, signing_time_);
        return *slot;
    }
    if (k.zone) {
        auto it = signers_.find(k.zone->key());
        return it != signers_.end() ? *it->second
                                    : fail("`by " + k.zone->to_text() + "` is no signed zone");
    }
    const Served* s = f.qname ? zone_for(f.server, *f.qname, f.qtype.value_or(type::A)) : nullptr;
    if (!s || !s->signer)
        return fail("`sign` needs a signed zone of that server holding the qname");
    return *s->signer;
}

const ReplayNetwork::Served* ReplayNetwork::zone_for(const std::string& server, const Name& qname,
                                                     uint16_t qtype) const {
    auto it = servers_.find(server);
    if (it == servers_.end()) return nullptr;
    const Served* best = nullptr;
    bool best_parent_side = false;
    for (const auto& s : it->second) {
        const Name& apex = s.zone->apex();
        if (!qname.is_subdomain_of(apex)) continue;
        // DS belongs to the parent (RFC 4035 §3.1.4.1): prefer the parent's zone when this
        // server has it too; otherwise the deepest zone answers.
        bool parent_side = !(qtype == type::DS && qname == apex && !apex.is_root());
        bool better = !best || (parent_side != best_parent_side
                                    ? parent_side
                                    : apex.label_count() > best->zone->apex().label_count());
        if (better) {
            best = &s;
            best_parent_side = parent_side;
        }
    }
    return best;
}

void ReplayNetwork::add_fault(const FaultSpec& f) {
    Active a{f, 0};
    LiteralReply& r = a.spec.reply;
    if (f.kind == FaultKind::reply) {
        for (const auto& k : r.dnskeys) {
            auto keys = key_source(f, k).dnskeys();
            r.answer.insert(r.answer.end(), keys.begin(), keys.end());
        }
        if (r.sign_answer || r.sign_authority || r.sign_additional) {
            const ZoneSigner& signer = key_source(f, r.sign_with);
            if (r.sign_answer) sign_section(r.answer, signer);
            if (r.sign_authority) sign_section(r.authority, signer);
            if (r.sign_additional) sign_section(r.additional, signer);
        }
    }
    faults_.push_back(std::move(a));
}

ReplayNetwork::Active* ReplayNetwork::match(const std::string& server, const Question& q,
                                            bool tcp) {
    for (auto& a : faults_) {
        const FaultSpec& f = a.spec;
        if (f.count >= 0 && a.used >= f.count) continue;
        if (f.server != "*" && f.server != server) continue;
        if (f.qname && !(f.below ? q.name.is_subdomain_of(*f.qname) : q.name == *f.qname)) continue;
        if (f.qtype && *f.qtype != q.type) continue;
        if (f.tcp && *f.tcp != tcp) continue;
        ++a.used;
        return &a;
    }
    return nullptr;
}

Message ReplayNetwork::respond(const std::string& server, const Message& query, Active* fault) {
    const Question& q = query.questions.front();
    bool dnssec_ok = query.edns && query.edns->dnssec_ok;
    FaultKind kind = fault ? fault->spec.kind : FaultKind::garbage;
    Message m;
    auto only_rcode = [&](uint16_t rc) {
        m.flags = rc;
        return m;
    };
    if (fault) switch (kind) {
            case FaultKind::servfail:
                return only_rcode(rcode::SERVFAIL);
            case FaultKind::refused:
                return only_rcode(rcode::REFUSED);
            case FaultKind::formerr:
                return only_rcode(rcode::FORMERR);
            case FaultKind::notimp:
                return only_rcode(rcode::NOTIMP);
            case FaultKind::reply:
                m.flags = fault->spec.reply.flags;
                m.answer = fault->spec.reply.answer;
                m.authority = fault->spec.reply.authority;
                m.additional = fault->spec.reply.additional;
                return m;
            case FaultKind::upward_referral: {
                // RFC 8499 "upward referral": a lame server sends the resolver back to the root.
                m.flags = 0;
                Record ns{Name{}, type::NS, cls::IN, 518400, std::string(root_ns_.wire())};
                m.authority.push_back(ns);
                return m;
            }
            default:
                break;
        }
    const Served* s = zone_for(server, q.name, q.type);
    if (!s) return only_rcode(rcode::REFUSED);  // a server that does not serve the zone
    m = s->zone->answer(q, dnssec_ok);
    if (!fault) return m;
    switch (kind) {
        case FaultKind::drop_rrsig:
            for (auto* sec : {&m.answer, &m.authority, &m.additional})
                std::erase_if(*sec, [](const Record& r) { return r.type == type::RRSIG; });
            break;
        case FaultKind::bad_rrsig:
            for (auto* sec : {&m.answer, &m.authority, &m.additional}) corrupt_signatures(*sec);
            break;
        case FaultKind::strip_ds:
            strip(m.authority, {type::DS, type::NSEC, type::NSEC3});
            break;
        case FaultKind::strip_denial:
            strip(m.authority, {type::NSEC, type::NSEC3});
            break;
        default:
            break;
    }
    return m;
}

std::string ReplayNetwork::server_cookie(const std::string& server, std::string_view client) const {
    // RFC 9018 §4's layout: version 1, three reserved bytes, a time, then 8 bytes of hash
    // (FNV-1a of the server, the client cookie and the time: deterministic, not a secret).
    auto it = cookie_epoch_.find(server);
    uint8_t when[4];
    store32(when, signing_time_ + (it == cookie_epoch_.end() ? 0 : it->second));
    std::string_view time(reinterpret_cast<const char*>(when), 4);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (std::string_view part : {std::string_view(server), client, time})
        for (char c : part) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
    std::string out = {char{1}, char{0}, char{0}, char{0}};
    out.append(time);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(h >> (8 * i)));
    return out;
}

std::string ReplayNetwork::cookie_suffix(const std::string& server, const Message& query) const {
    auto c = query.edns ? query.edns->option(edns_option::COOKIE) : std::nullopt;
    if (!c) return "";
    if (!client_cookie(query)) return " cookie-malformed";
    if (c->size() == 8) return " cookie";
    return c->substr(8) == server_cookie(server, c->substr(0, 8)) ? " cookie+server"
                                                                  : " cookie+stale-server";
}

std::vector<uint8_t> ReplayNetwork::reply_cookie(const std::string& server, const Message& query,
                                                 const Active* fault) const {
    FaultKind kind = fault ? fault->spec.kind : FaultKind::timeout;
    bool literal = kind == FaultKind::reply;
    if (kind == FaultKind::no_cookie || (literal && fault->spec.reply.cookie == ReplyCookie::none))
        return {};
    bool mismatch = kind == FaultKind::cookie_mismatch ||
                    (literal && fault->spec.reply.cookie == ReplyCookie::mismatch);
    auto c = client_cookie(query);
    if (!c && !mismatch) return {};  // RFC 7873 §5.2.1: no cookie in, none out
    // A spoof echoes a client cookie, but not ours (it has not seen the query).
    std::string client = c ? std::string(*c) : std::string(8, '\x5A');
    if (mismatch)
        for (char& b : client) b = static_cast<char>(b ^ 0xA5);
    return upstream::cookie_option(client, server_cookie(server, client));
}

std::vector<uint8_t> ReplayNetwork::bad_cookie_reply(const std::string& server, const Message& q) {
    // RFC 7873 §5.2.3/§5.2.4: BADCOOKIE (extended rcode 23: 7 in the header, 1 in the OPT)
    // and a fresh server cookie; the old one is no longer accepted.
    ++cookie_epoch_[server];
    std::string client(*client_cookie(q));
    const Question& qq = q.questions.front();
    MessageBuilder b;
    b.header(q.id,
             static_cast<uint16_t>(flag::QR | (q.flags & flag::RD) | (rcode::BADCOOKIE & 0xF)));
    b.question(qq.name, qq.type, qq.cls);
    b.add_opt(1232, q.edns->dnssec_ok, static_cast<uint8_t>(rcode::BADCOOKIE >> 4),
              upstream::cookie_option(client, server_cookie(server, client)));
    if (trace_) std::cerr << "  <- " << log_.back() << ": BADCOOKIE (fault)\n";
    return b.take();
}

std::optional<std::vector<uint8_t>> ReplayNetwork::special_reply(const std::string& server,
                                                                 const Message& q,
                                                                 const Active* fault) {
    if (!fault) return std::nullopt;
    const Question& qq = q.questions.front();
    MessageBuilder b;
    if (fault->spec.kind == FaultKind::noedns && q.edns) {
        b.header(q.id, flag::QR | rcode::FORMERR);
        b.question(qq.name, qq.type, qq.cls);
        return b.take();
    }
    if (fault->spec.kind == FaultKind::garbage) {
        // ID and question match, then an answer count with nothing parsable behind it.
        b.header(q.id, flag::QR | flag::AA);
        b.question(qq.name, qq.type, qq.cls);
        std::vector<uint8_t> out = b.take();
        store16(&out[6], 3);
        for (uint8_t junk : {0xC0, 0xFF, 0x00, 0x01, 0x7F}) out.push_back(junk);
        return out;
    }
    // A query without a cookie gets the normal answer (RFC 7873 §5.2.1).
    if (fault->spec.kind == FaultKind::badcookie && client_cookie(q))
        return bad_cookie_reply(server, q);
    return std::nullopt;
}

namespace {

// An EDNS Padding option that brings the query to a multiple of 128 bytes (RFC 8467 §4.1).
bool padded(const Message& q, std::size_t size) {
    return q.edns && q.edns->option(edns_option::PADDING) && size % 128 == 0;
}

}  // namespace

base::awaitable<upstream::ExchangeResult> ReplayNetwork::exchange(
    const upstream::ServerAddr& server, std::span<const uint8_t> query, upstream::Proto proto,
    std::chrono::milliseconds) {
    upstream::ExchangeResult res;
    Message q = parse_message(query).value();
    const Question& qq = q.questions.at(0);
    std::string addr = address_only(server);
    bool tcp = proto == upstream::Proto::tcp;
    bool tls = proto == upstream::Proto::tls;  // a stream too, but logged apart
    log_.push_back(addr + " " + lower(qq.name.to_text()) + " " + type_to_text(qq.type) +
                   (tcp ? " tcp" : "") + (tls ? " tls" : "") + (q.has(flag::RD) ? " rd" : "") +
                   (padded(q, query.size()) ? " padded" : "") + cookie_suffix(addr, q));
    Active* fault = match(addr, qq, tcp);
    bool known = servers_.contains(addr) || (fault && fault->spec.kind == FaultKind::reply);
    if (!known || (fault && fault->spec.kind == FaultKind::timeout)) {
        res.status = upstream::ExchangeResult::Status::timeout;
        co_return res;
    }
    res.status = upstream::ExchangeResult::Status::ok;
    res.rtt = std::chrono::milliseconds(10);
    if (auto special = special_reply(addr, q, fault)) {
        res.response = std::move(*special);
        co_return res;
    }
    Message m = respond(addr, q, fault);
    if (trace_) {
        std::cerr << "  <- " << log_.back() << ": rcode " << (m.flags & 0xF)
                  << ((m.flags & flag::AA) ? " aa" : "") << (fault ? " (fault)" : "") << "\n";
        for (const auto* sec : {&m.answer, &m.authority, &m.additional})
            for (const auto& r : *sec) std::cerr << "       " << record_to_text(r) << "\n";
    }
    std::size_t limit =
        tcp || tls ? kMaxMessageSize : (q.edns ? std::max<uint16_t>(q.edns->udp_size, 512) : 512);
    bool truncate = !tcp && fault && fault->spec.kind == FaultKind::truncate;
    std::vector<uint8_t> cookie = reply_cookie(addr, q, fault);
    uint16_t flags = static_cast<uint16_t>(flag::QR | (q.flags & flag::RD) | m.flags);
    for (int attempt = 0; attempt < 2; ++attempt) {
        MessageBuilder out;
        out.header(q.id, static_cast<uint16_t>(flags | (truncate ? flag::TC : 0)));
        out.question(qq.name, qq.type, qq.cls);
        if (!truncate) {
            for (const auto& r : m.answer) out.add(Section::answer, r);
            for (const auto& r : m.authority) out.add(Section::authority, r);
            for (const auto& r : m.additional) out.add(Section::additional, r);
        }
        if (q.edns) out.add_opt(1232, q.edns->dnssec_ok, 0, cookie);
        if (out.size() <= limit || truncate) {
            res.response = out.take();
            co_return res;
        }
        truncate = true;  // too big for UDP: TC=1 and an empty message (RFC 2181 §9)
    }
    co_return res;
}

}  // namespace port53::replay
