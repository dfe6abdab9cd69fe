#include "scenario.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "wire/security.hpp"
#include "wire/types.hpp"
#include "wire/zone_file.hpp"

// ldns last: its headers must come after the C++ library ones (they break <optional>).
// clang-format off
#include <ldns/ldns.h>
// clang-format on

namespace port53::replay {
using namespace wire;

namespace {

const std::map<std::string, uint16_t> kRcodes = {
    {"NOERROR", 0}, {"FORMERR", 1},  {"SERVFAIL", 2}, {"NXDOMAIN", 3},  {"NOTIMP", 4},
    {"REFUSED", 5}, {"YXDOMAIN", 6}, {"BADVERS", 16}, {"BADCOOKIE", 23}};

const std::map<std::string, FaultKind> kFaults = {{"timeout", FaultKind::timeout},
                                                  {"servfail", FaultKind::servfail},
                                                  {"refused", FaultKind::refused},
                                                  {"formerr", FaultKind::formerr},
                                                  {"notimp", FaultKind::notimp},
                                                  {"drop-rrsig", FaultKind::drop_rrsig},
                                                  {"bad-rrsig", FaultKind::bad_rrsig},
                                                  {"strip-ds", FaultKind::strip_ds},
                                                  {"strip-denial", FaultKind::strip_denial},
                                                  {"upward-referral", FaultKind::upward_referral},
                                                  {"garbage", FaultKind::garbage},
                                                  {"truncate", FaultKind::truncate},
                                                  {"noedns", FaultKind::noedns},
                                                  {"cookie-mismatch", FaultKind::cookie_mismatch},
                                                  {"badcookie", FaultKind::badcookie},
                                                  {"no-cookie", FaultKind::no_cookie}};

// What an `asked` line may require of the query log line (see replay_network.hpp).
const std::vector<std::string> kAskedQualifiers = {"tcp",
                                                   "udp",
                                                   "tls",
                                                   "padded",
                                                   "rd",
                                                   "no-rd",
                                                   "cookie",
                                                   "no-cookie",
                                                   "server-cookie",
                                                   "stale-server-cookie",
                                                   "no-server-cookie"};

const std::map<std::string, uint16_t> kFlags = {{"aa", flag::AA}, {"tc", flag::TC},
                                                {"rd", flag::RD}, {"ra", flag::RA},
                                                {"ad", flag::AD}, {"cd", flag::CD}};

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Reads the file line by line; `fail` reports at the current line.
class Parser {
  public:
    Parser(const std::string& text, std::string file) : file_(std::move(file)) {
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);) lines_.push_back(l);
    }
    Scenario parse();

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw ScenarioError(file_ + ":" + std::to_string(line_) + ": " + what);
    }
    // The next meaningful line, split into words (comments: '#' starting a word).
    bool next(std::vector<std::string>& words, std::string& raw);
    Name name(const std::string& text) const;
    uint32_t number(const std::string& text) const;
    uint16_t type(const std::string& text) const;
    Record record(const std::string& text, const Name& origin) const;
    void zone(const std::vector<std::string>& w);
    FaultSpec fault_head(const std::vector<std::string>& w, std::size_t options_from);
    void literal_reply(FaultSpec& f);
    Expect expect(const std::vector<std::string>& w, const std::string& raw);
    void query(const std::vector<std::string>& w);

    std::string file_;
    std::vector<std::string> lines_;
    std::size_t pos_ = 0;
    int line_ = 0;
    Scenario s_;
};

bool Parser::next(std::vector<std::string>& words, std::string& raw) {
    while (pos_ < lines_.size()) {
        raw = lines_[pos_++];
        line_ = static_cast<int>(pos_);
        words.clear();
        std::istringstream in(raw);
        for (std::string w; in >> w;) {
            if (w[0] == '#') break;
            words.push_back(w);
        }
        if (auto hash = raw.find(" #"); hash != std::string::npos) raw.resize(hash);
        if (!words.empty()) return true;
    }
    return false;
}

Name Parser::name(const std::string& text) const {
    auto n = Name::from_text(text);
    if (!n) fail("bad domain name '" + text + "'");
    return *n;
}

uint32_t Parser::number(const std::string& text) const {
    try {
        std::size_t used = 0;
        long long v = std::stoll(text, &used);
        if (used == text.size() && v >= 0 && v <= UINT32_MAX) return static_cast<uint32_t>(v);
    } catch (const std::exception&) {
    }
    fail("expected a number, got '" + text + "'");
}

uint16_t Parser::type(const std::string& text) const {
    try {
        return type_from_text(text);
    } catch (const std::exception& e) {
        fail(e.what());
    }
}

Record Parser::record(const std::string& text, const Name& origin) const {
    std::string line = text.substr(text.find_first_not_of(" \t"));
    std::string input = "$ORIGIN " + origin.to_text() + "\n$TTL 3600\n" + line + "\n";
    try {
        auto rrs = parse_zone_text(input, file_);
        if (rrs.size() != 1) fail("expected one record");
        return rrs.front();
    } catch (const ScenarioError&) {
        throw;
    } catch (const std::exception& e) {
        std::string why = e.what();
        fail("bad record '" + line + "': " + why.substr(why.rfind(": ") + 2));
    }
}

void Parser::zone(const std::vector<std::string>& w) {
    ZoneSpec z;
    z.line = line_;
    if (w.size() < 4 || w[2] != "servers") fail("expected: zone NAME servers ADDR... [signed ...]");
    z.apex = name(w[1]);
    std::size_t i = 3;
    for (; i < w.size() && w[i] != "signed" && w[i] != "unsigned" && w[i] != "undelegated"; ++i)
        z.servers.push_back(w[i]);
    for (; i < w.size(); ++i) {
        const std::string& o = w[i];
        auto arg = [&]() -> const std::string& {
            if (i + 1 >= w.size()) fail("'" + o + "' needs a value");
            return w[++i];
        };
        if (o == "signed")
            z.is_signed = true;
        else if (o == "unsigned")
            z.is_signed = false;
        else if (o == "nsec")
            z.signing.denial = Denial::nsec;
        else if (o == "nsec3")
            z.signing.denial = Denial::nsec3;
        else if (o == "optout")
            z.signing.nsec3.opt_out = true;
        else if (o == "iterations")
            z.signing.nsec3.iterations = static_cast<uint16_t>(number(arg()));
        else if (o == "salt") {
            const std::string& hex = arg();
            z.signing.nsec3.salt.clear();
            for (std::size_t k = 0; k + 1 < hex.size(); k += 2)
                z.signing.nsec3.salt.push_back(
                    static_cast<char>(std::stoi(hex.substr(k, 2), nullptr, 16)));
        } else if (o == "alg" || o == "algorithm")
            z.signing.algorithm = static_cast<uint8_t>(number(arg()));
        else if (o == "nods")
            z.ds = ZoneSpec::Ds::none;
        else if (o == "undelegated")
            z.undelegated = true;
        else if (o == "ds-mismatch")
            z.ds = ZoneSpec::Ds::mismatch;
        else if (o == "ds-digest")
            z.ds_digest = static_cast<uint8_t>(number(arg()));
        else if (o == "expired") {
            z.signing.inception = -30 * 86400;
            z.signing.expiration = -86400;
        } else if (o == "not-yet-valid") {
            z.signing.inception = 86400;
            z.signing.expiration = 30 * 86400;
        } else
            fail("unknown zone option '" + o + "'");
    }
    if (z.servers.empty()) fail("zone " + w[1] + " has no servers");
    std::vector<std::string> words;
    std::string raw;
    while (next(words, raw)) {
        if (words[0] == "end") {
            s_.zones.push_back(std::move(z));
            return;
        }
        Record r = record(raw, z.apex);
        if (!r.owner.is_subdomain_of(z.apex))
            fail(r.owner.to_text() + " is outside zone " + z.apex.to_text());
        z.records.push_back(std::move(r));
    }
    fail("zone " + w[1] + " has no 'end'");
}

FaultSpec Parser::fault_head(const std::vector<std::string>& w, std::size_t options_from) {
    FaultSpec f;
    f.line = line_;
    f.server = w[1];
    if (w[2] != "*") {
        std::string qn = w[2];
        if (qn.starts_with("below:")) {
            f.below = true;
            qn = qn.substr(6);
        }
        f.qname = name(qn);
    }
    if (w[3] != "*") f.qtype = type(w[3]);
    for (std::size_t i = options_from; i < w.size(); ++i) {
        if (w[i] == "count" && i + 1 < w.size())
            f.count = static_cast<int>(number(w[++i]));
        else if (w[i] == "tcp")
            f.tcp = true;
        else if (w[i] == "udp")
            f.tcp = false;
        else
            fail("unknown option '" + w[i] + "'");
    }
    return f;
}

void Parser::literal_reply(FaultSpec& f) {
    f.kind = FaultKind::reply;
    std::vector<std::string> w;
    std::string raw;
    Name origin = f.qname.value_or(Name{});
    while (next(w, raw)) {
        if (w[0] == "end") return;
        if (w[0] == "rcode") {
            if (w.size() < 2) fail("rcode needs a value");
            f.reply.flags = static_cast<uint16_t>(f.reply.flags | rcode_from_text(w[1]));
            for (std::size_t i = 2; i < w.size(); ++i) {
                auto it = kFlags.find(w[i]);
                if (it == kFlags.end()) fail("unknown flag '" + w[i] + "'");
                f.reply.flags |= it->second;
            }
        } else if (w[0] == "answer" || w[0] == "authority" || w[0] == "additional") {
            Record r = record(raw.substr(raw.find(w[0]) + w[0].size()), origin);
            auto& sec = w[0] == "answer"      ? f.reply.answer
                        : w[0] == "authority" ? f.reply.authority
                                              : f.reply.additional;
            sec.push_back(std::move(r));
        } else if (w[0] == "cookie") {
            if (w.size() != 2 || (w[1] != "echo" && w[1] != "mismatch" && w[1] != "none"))
                fail("expected: cookie echo | mismatch | none");
            f.reply.cookie = w[1] == "echo"       ? ReplyCookie::echo
                             : w[1] == "mismatch" ? ReplyCookie::mismatch
                                                  : ReplyCookie::none;
        } else if (w[0] == "dnskey") {
            if (w.size() != 3 || (w[1] != "by" && w[1] != "as"))
                fail("expected: dnskey by ZONE | dnskey as NAME");
            f.reply.dnskeys.push_back(KeySource{name(w[2]), w[1] == "as"});
        } else if (w[0] == "sign") {
            std::size_t end = w.size();
            if (end >= 4 && (w[end - 2] == "by" || w[end - 2] == "as")) {
                f.reply.sign_with = KeySource{name(w[end - 1]), w[end - 2] == "as"};
                end -= 2;
            }
            for (std::size_t i = 1; i < end; ++i) {
                bool all = w[i] == "all";
                if (all || w[i] == "answer") f.reply.sign_answer = true;
                if (all || w[i] == "authority") f.reply.sign_authority = true;
                if (all || w[i] == "additional") f.reply.sign_additional = true;
                if (!all && w[i] != "answer" && w[i] != "authority" && w[i] != "additional")
                    fail("sign what? '" + w[i] + "'");
            }
        } else {
            fail("unknown line in reply block: '" + w[0] + "'");
        }
    }
    fail("reply block has no 'end'");
}

Expect Parser::expect(const std::vector<std::string>& w, const std::string& raw) {
    Expect e;
    e.line = line_;
    if (w.size() < 2) fail("expect what?");
    const std::string& what = w[1];
    auto need = [&](std::size_t n) {
        if (w.size() < n) fail("'expect " + what + "' needs more words");
    };
    auto section_of = [&](const std::string& s) {
        if (s.starts_with("answer")) return ReplySection::answer;
        if (s.starts_with("authority")) return ReplySection::authority;
        if (s.starts_with("additional")) return ReplySection::additional;
        fail("unknown expectation '" + s + "'");
    };
    if (what == "rcode") {
        need(3);
        e.kind = Expect::Kind::rcode;
        try {
            e.number = rcode_from_text(w[2]);
        } catch (const std::exception& ex) {
            fail(ex.what());
        }
    } else if (what == "ede") {
        need(3);
        e.kind = Expect::Kind::ede;
        // `any`: some EDE, whichever (the code is the engine's choice).
        e.number = w[2] == "none" ? ede::none : w[2] == "any" ? kAnyEde : number(w[2]);
    } else if (what == "flags") {
        need(3);
        e.kind = Expect::Kind::flags;
        for (std::size_t i = 2; i < w.size(); ++i) {
            auto it = kFlags.find(w[i].substr(1));
            if ((w[i][0] != '+' && w[i][0] != '-') || it == kFlags.end())
                fail("flags are written +ad, -aa, +tc...: '" + w[i] + "'");
            e.flag_checks.emplace_back(it->second, w[i][0] == '+');
        }
    } else if (what == "answer" || what == "authority" || what == "additional") {
        need(4);
        e.kind = Expect::Kind::record;
        e.section = section_of(what);
        e.owner = name(w[2]);
        e.type = type(w[3]);
        if (w.size() > 4) {
            // The rdata is read by ldns as a zone line, then compared in wire form.
            std::string text = raw.substr(raw.find(w[1]) + w[1].size());
            e.rdata = record(text, Name{}).rdata;
        }
    } else if (what == "no-answer" || what.ends_with("-count")) {
        e.kind = Expect::Kind::count;
        e.section = what == "no-answer" ? ReplySection::answer : section_of(what);
        if (what != "no-answer") {
            need(3);
            e.number = number(w[2]);
        }
    } else if (what.ends_with("-has") || what.ends_with("-lacks")) {
        need(3);
        e.kind = what.ends_with("-has") ? Expect::Kind::has_type : Expect::Kind::lacks_type;
        e.section = section_of(what);
        e.type = type(w[2]);
        if (w.size() > 3) e.owner = name(w[3]);
    } else if (what == "upstream" || what == "unwanted") {
        need(4);
        e.kind = what == "upstream" ? Expect::Kind::upstream : Expect::Kind::unwanted;
        e.op = w[2];
        if (e.op != "<=" && e.op != "<" && e.op != "==" && e.op != ">=" && e.op != ">")
            fail(what + " compares with <=, <, ==, >= or >");
        e.number = number(w[3]);
    } else if (what == "asked" || what == "not-asked") {
        need(5);
        e.kind = Expect::Kind::asked;
        e.negate = what == "not-asked";
        e.server = w[2];
        if (w[3] != "*") e.owner = name(w[3]);
        if (w[4] != "*") e.type = type(w[4]);
        for (std::size_t i = 5; i < w.size(); ++i) {
            if (std::find(kAskedQualifiers.begin(), kAskedQualifiers.end(), w[i]) ==
                kAskedQualifiers.end())
                fail("unknown qualifier '" + w[i] +
                     "' (tcp, udp, tls, padded, rd, no-rd, cookie, no-cookie, " +
                     "server-cookie, stale-server-cookie, no-server-cookie)");
            e.qualifiers.push_back(w[i]);
        }
    } else {
        fail("unknown expectation '" + what + "'");
    }
    return e;
}

void Parser::query(const std::vector<std::string>& w) {
    Event ev;
    ev.kind = Event::Kind::query;
    ev.line = line_;
    QuerySpec& q = ev.query;
    q.line = line_;
    if (w.size() < 3) fail("expected: query NAME TYPE [do] [cd] [ad] [nord] [noedns] [udp]");
    q.qname = name(w[1]);
    q.qtype = type(w[2]);
    for (std::size_t i = 3; i < w.size(); ++i) {
        if (w[i] == "do")
            q.dnssec_ok = true;
        else if (w[i] == "cd")
            q.cd = true;
        else if (w[i] == "ad")
            q.ad = true;
        else if (w[i] == "rd")
            q.rd = true;
        else if (w[i] == "nord")
            q.rd = false;
        else if (w[i] == "noedns")
            q.edns = false;
        else if (w[i] == "udp")
            q.udp = true;
        else if (w[i] == "tcp")
            q.udp = false;
        else
            fail("unknown query flag '" + w[i] + "'");
    }
    if (q.dnssec_ok && !q.edns) fail("'do' needs EDNS");
    s_.events.push_back(std::move(ev));
}

Scenario Parser::parse() {
    s_.file = file_;
    std::vector<std::string> w;
    std::string raw;
    while (next(w, raw)) {
        const std::string& k = w[0];
        auto rest = [&] {
            std::size_t at = raw.find(k) + k.size();
            std::size_t start = raw.find_first_not_of(" \t", at);
            return start == std::string::npos ? std::string() : raw.substr(start);
        };
        if (k == "title") {
            s_.title = rest();
        } else if (k == "xfail") {
            s_.xfail = rest();
            if (s_.xfail->empty()) fail("xfail needs a reason");
        } else if (k == "config") {
            if (w.size() != 3) fail("expected: config KEY VALUE");
            s_.config.push_back({line_, w[1], w[2]});
        } else if (k == "zone") {
            if (!s_.events.empty() &&
                std::any_of(s_.events.begin(), s_.events.end(),
                            [](const Event& e) { return e.kind == Event::Kind::query; }))
                fail("zones must come before the first query");
            zone(w);
        } else if (k == "fault" || k == "reply") {
            if (w.size() < (k == "fault" ? 5u : 4u))
                fail("expected: " + k + " SERVER QNAME QTYPE" + (k == "fault" ? " KIND" : ""));
            Event ev;
            ev.kind = Event::Kind::fault;
            ev.line = line_;
            ev.fault = fault_head(w, k == "fault" ? 5 : 4);
            if (k == "fault") {
                auto it = kFaults.find(w[4]);
                if (it == kFaults.end()) fail("unknown fault '" + w[4] + "'");
                ev.fault.kind = it->second;
            } else {
                literal_reply(ev.fault);
            }
            s_.events.push_back(std::move(ev));
        } else if (k == "clear-faults") {
            s_.events.push_back(Event{Event::Kind::clear_faults, line_, {}, {}, 0});
        } else if (k == "query") {
            query(w);
        } else if (k == "expect") {
            if (s_.events.empty() || s_.events.back().kind != Event::Kind::query)
                fail("'expect' must follow a query");
            s_.events.back().query.expects.push_back(expect(w, raw));
        } else if (k == "step") {
            if (w.size() != 3 || w[1] != "time" || w[2][0] != '+')
                fail("expected: step time +SECONDS");
            s_.events.push_back(Event{Event::Kind::advance, line_, {}, {}, number(w[2].substr(1))});
        } else {
            fail("unknown keyword '" + k + "'");
        }
    }
    if (s_.title.empty()) throw ScenarioError(file_ + ":1: no title");
    if (s_.zones.empty()) throw ScenarioError(file_ + ":1: no zones");
    return std::move(s_);
}

}  // namespace

uint16_t type_from_text(const std::string& text) {
    if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit))
        return static_cast<uint16_t>(std::stoul(text));
    auto t = static_cast<uint16_t>(ldns_get_rr_type_by_name(upper(text).c_str()));
    if (t == 0) throw std::runtime_error("unknown type '" + text + "'");
    return t;
}

std::string type_to_text(uint16_t t) {
    char* s = ldns_rr_type2str(static_cast<ldns_rr_type>(t));
    std::string out = s ? s : std::to_string(t);
    free(s);  // NOLINT: ldns allocates with malloc
    return out;
}

uint16_t rcode_from_text(const std::string& text) {
    auto it = kRcodes.find(upper(text));
    if (it == kRcodes.end()) throw std::runtime_error("unknown rcode '" + text + "'");
    return it->second;
}

std::string rcode_to_text(uint16_t rc) {
    for (const auto& [name, v] : kRcodes)
        if (v == rc) return name;
    return "RCODE" + std::to_string(rc);
}

}  // namespace port53::replay

namespace port53::replay {

Scenario parse_scenario(const std::string& text, const std::string& file) {
    return Parser(text, file).parse();
}

Scenario load_scenario(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ScenarioError(path + ":0: cannot open file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_scenario(ss.str(), path);
}

}  // namespace port53::replay
