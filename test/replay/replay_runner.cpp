// Runs replay scenarios (*.rpl) against the real resolver: one file, several, or every
// scenario in a directory. Prints PASS / FAIL / XFAIL / XPASS per scenario; exits non-zero
// if any failed or unexpectedly passed.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "base/log.hpp"
#include "replay_lab.hpp"
#include "scenario.hpp"
#include "wire/types.hpp"

using namespace port53;
using namespace port53::replay;
using namespace port53::wire;

namespace {

const std::vector<Record>& section(const ClientReply& r, ReplySection s) {
    switch (s) {
        case ReplySection::answer:
            return r.msg.answer;
        case ReplySection::authority:
            return r.msg.authority;
        case ReplySection::additional:
            break;
    }
    return r.msg.additional;
}

const char* section_name(ReplySection s) {
    return s == ReplySection::answer      ? "answer"
           : s == ReplySection::authority ? "authority"
                                          : "additional";
}

std::string flag_names(uint16_t flags) {
    std::string out;
    for (auto [bit, name] : {std::pair{flag::AA, "aa"},
                             {flag::TC, "tc"},
                             {flag::RD, "rd"},
                             {flag::RA, "ra"},
                             {flag::AD, "ad"},
                             {flag::CD, "cd"}})
        if (flags & bit) out += std::string(out.empty() ? "" : " ") + name;
    return out;
}

std::string describe(const ClientReply& r) {
    if (!r.answered) return "    (no reply)\n";
    std::ostringstream o;
    o << "    rcode " << rcode_to_text(r.msg.rcode()) << ", flags [" << flag_names(r.msg.flags)
      << "], ede " << (r.ede == ede::none ? std::string("none") : std::to_string(r.ede)) << "\n";
    for (auto s : {ReplySection::answer, ReplySection::authority, ReplySection::additional})
        for (const auto& rec : section(r, s))
            o << "    " << section_name(s) << ": " << record_to_text(rec) << "\n";
    return o.str();
}

bool same_rdata(uint16_t t, const std::string& a, const std::string& b) {
    if (a == b) return true;
    // Names inside rdata compare case-insensitively (RFC 4343).
    auto ta = rdata_target(t, a), tb = rdata_target(t, b);
    return ta && tb && *ta == *tb && a.size() == b.size();
}

// Does the query log line show what the qualifier asks (see ReplayNetwork::log)?
bool qualified(const std::string& q, const std::vector<std::string>& rest) {
    auto has = [&](const char* w) { return std::find(rest.begin(), rest.end(), w) != rest.end(); };
    bool client = has("cookie") || has("cookie+server") || has("cookie+stale-server");
    if (q == "tcp") return has("tcp");
    if (q == "udp") return !has("tcp") && !has("tls");
    if (q == "tls") return has("tls");
    if (q == "padded") return has("padded");
    if (q == "rd") return has("rd");
    if (q == "no-rd") return !has("rd");
    if (q == "cookie") return client;
    if (q == "no-cookie") return !client && !has("cookie-malformed");
    if (q == "server-cookie") return has("cookie+server");
    if (q == "stale-server-cookie") return has("cookie+stale-server");
    return !has("cookie+server") && !has("cookie+stale-server");  // no-server-cookie
}

bool asked(const Expect& e, const std::string& line) {
    std::istringstream in(line);
    std::string server, qname, qtype;
    in >> server >> qname >> qtype;
    if (e.server != "*" && e.server != server) return false;
    if (e.owner && !(*Name::from_text(qname) == *e.owner)) return false;
    if (e.type != 0 && type_to_text(e.type) != qtype) return false;
    std::vector<std::string> rest;
    for (std::string w; in >> w;) rest.push_back(w);
    return std::all_of(e.qualifiers.begin(), e.qualifiers.end(),
                       [&](const std::string& q) { return qualified(q, rest); });
}

bool compare(std::size_t n, const std::string& op, uint32_t number) {
    return op == "<="   ? n <= number
           : op == "<"  ? n < number
           : op == "==" ? n == number
           : op == ">=" ? n >= number
                        : n > number;
}

// Nothing when the expectation holds; otherwise what is wrong.
std::optional<std::string> check(const Expect& e, const ClientReply& r) {
    using K = Expect::Kind;
    if (!r.answered && e.kind != K::upstream && e.kind != K::asked && e.kind != K::unwanted)
        return "no reply at all";
    const auto& recs = section(r, e.section);
    auto typed = [&](const Record& x) {
        return x.type == e.type && (!e.owner || x.owner == *e.owner);
    };
    std::string what = std::string(section_name(e.section));
    switch (e.kind) {
        case K::rcode:
            if (r.msg.rcode() == e.number) return std::nullopt;
            return "rcode is " + rcode_to_text(r.msg.rcode()) + ", expected " +
                   rcode_to_text(static_cast<uint16_t>(e.number));
        case K::ede:
            if (r.ede == e.number || (e.number == kAnyEde && r.ede != ede::none))
                return std::nullopt;
            return "EDE is " + (r.ede == ede::none ? "none" : std::to_string(r.ede)) +
                   ", expected " +
                   (e.number == ede::none ? "none"
                    : e.number == kAnyEde ? "any"
                                          : std::to_string(e.number));
        case K::flags:
            for (auto [f, want] : e.flag_checks)
                if (r.msg.has(f) != want)
                    return "flag " + flag_names(f) + " is " + (want ? "clear" : "set");
            return std::nullopt;
        case K::record:
            if (std::any_of(recs.begin(), recs.end(), [&](const Record& x) {
                    return typed(x) && (!e.rdata || same_rdata(x.type, x.rdata, *e.rdata));
                }))
                return std::nullopt;
            return what + " lacks " + e.owner->to_text() + " " + type_to_text(e.type) +
                   (e.rdata ? " with that rdata" : "");
        case K::has_type:
        case K::lacks_type: {
            bool found = std::any_of(recs.begin(), recs.end(), typed);
            if (found == (e.kind == K::has_type)) return std::nullopt;
            return what + (found ? " has " : " lacks ") + type_to_text(e.type) +
                   (e.owner ? " at " + e.owner->to_text() : "");
        }
        case K::count:
            if (recs.size() == e.number) return std::nullopt;
            return what + " holds " + std::to_string(recs.size()) + " records, expected " +
                   std::to_string(e.number);
        case K::upstream:
        case K::unwanted: {
            bool up = e.kind == K::upstream;
            std::size_t n = up ? r.upstream.size() : static_cast<std::size_t>(r.unwanted);
            if (compare(n, e.op, e.number)) return std::nullopt;
            return std::to_string(n) + (up ? " upstream queries" : " unwanted replies") +
                   ", expected " + e.op + " " + std::to_string(e.number);
        }
        case K::asked: {
            bool found = std::any_of(r.upstream.begin(), r.upstream.end(),
                                     [&](const std::string& l) { return asked(e, l); });
            if (found != e.negate) return std::nullopt;
            std::string quals;
            for (const auto& q : e.qualifiers) quals += " " + q;
            return std::string(found ? "asked " : "did not ask ") + e.server + " " +
                   (e.owner ? e.owner->to_text() : "*") + " " +
                   (e.type ? type_to_text(e.type) : "*") + quals;
        }
    }
    return "unknown expectation";
}

struct Result {
    bool passed = true;
    std::string report;  // the first mismatch, with the reply and what was asked upstream
};

Result run(const Scenario& s, bool trace) {
    Lab lab(s, trace);
    for (const auto& ev : s.events) {
        switch (ev.kind) {
            case Event::Kind::fault:
                lab.add_fault(ev.fault);
                continue;
            case Event::Kind::clear_faults:
                lab.clear_faults();
                continue;
            case Event::Kind::advance:
                lab.advance(ev.seconds);
                continue;
            case Event::Kind::query:
                break;
        }
        const QuerySpec& q = ev.query;
        ClientReply r = lab.ask(q);
        for (const auto& e : q.expects) {
            auto wrong = check(e, r);
            if (!wrong) continue;
            std::ostringstream o;
            o << "  " << s.file << ":" << e.line << ": " << *wrong << "\n"
              << "  reply to " << q.qname.to_text() << " " << type_to_text(q.qtype) << " (line "
              << q.line << "):\n"
              << describe(r) << "  upstream queries for it (" << r.upstream.size() << "):\n";
            for (const auto& l : r.upstream) o << "    " << l << "\n";
            o << "  all upstream queries so far: " << lab.log().size() << "\n";
            return {false, o.str()};
        }
    }
    return {};
}

std::vector<std::string> scenario_files(const std::vector<std::string>& args) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    for (const auto& a : args) {
        if (!fs::is_directory(a)) {
            out.push_back(a);
            continue;
        }
        std::vector<std::string> found;
        for (const auto& entry : fs::directory_iterator(a))
            if (entry.path().extension() == ".rpl") found.push_back(entry.path().string());
        std::sort(found.begin(), found.end());
        out.insert(out.end(), found.begin(), found.end());
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    // The engine's info lines (bogus data, lame servers) only with -v: scenarios provoke them.
    bool verbose = !args.empty() && args.front() == "-v";
    if (verbose) args.erase(args.begin());
    base::set_log_level(verbose ? base::LogLevel::debug : base::LogLevel::warning);
    if (args.empty()) {
        std::cerr << "usage: replay_tests [-v] SCENARIO.rpl|DIRECTORY...\n";
        return 2;
    }
    int failures = 0, total = 0;
    for (const auto& path : scenario_files(args)) {
        ++total;
        Scenario s;
        Result r;
        try {
            s = load_scenario(path);
            r = run(s, verbose);
        } catch (const std::exception& e) {
            // A broken scenario fails whatever its xfail says.
            std::cout << "FAIL  " << path << "\n  " << e.what() << "\n";
            ++failures;
            continue;
        }
        if (s.xfail) {
            if (r.passed) {
                std::cout << "XPASS " << path << " — " << s.title
                          << "\n  it passes now: remove `xfail " << *s.xfail << "`\n";
                ++failures;
            } else {
                std::cout << "XFAIL " << path << " (" << *s.xfail << ")\n" << r.report;
            }
            continue;
        }
        if (r.passed) {
            std::cout << "PASS  " << path << " — " << s.title << "\n";
        } else {
            std::cout << "FAIL  " << path << " — " << s.title << "\n" << r.report;
            ++failures;
        }
    }
    std::cout << total - failures << "/" << total << " scenarios as expected\n";
    return failures ? 1 : 0;
}
