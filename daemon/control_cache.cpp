#include "daemon/control_cache.hpp"

#include <chrono>
#include <sstream>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "cache/cache_persist.hpp"
#include "wire/types.hpp"

namespace port53::daemon {
namespace {

cache::CacheSet caches_of(ControlTargets& t) {
    return {t.answers, t.rrsets, t.view_rrsets};
}

// The caches' own clock: SteadyClock holds no state, so this one reads what the workers'
// clock reads.
const base::Clock& cache_clock() {
    static const base::SteadyClock clock;
    return clock;
}

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

std::string type_text(uint16_t t) {
    using namespace wire::type;
    static const std::pair<uint16_t, const char*> names[] = {
        {A, "A"},   {NS, "NS"},       {CNAME, "CNAME"}, {SOA, "SOA"},       {PTR, "PTR"},
        {MX, "MX"}, {TXT, "TXT"},     {AAAA, "AAAA"},   {SRV, "SRV"},       {DNAME, "DNAME"},
        {DS, "DS"}, {RRSIG, "RRSIG"}, {NSEC, "NSEC"},   {DNSKEY, "DNSKEY"}, {NSEC3, "NSEC3"}};
    for (const auto& [n, text] : names)
        if (n == t) return text;
    return "TYPE" + std::to_string(t);
}

const char* security_text(wire::Security s) {
    static const char* const text[] = {"unchecked", "secure", "insecure", "bogus"};
    return text[static_cast<uint8_t>(s) & 3];
}

const char* credibility_text(cache::Credibility c) {
    static const char* const text[] = {"?",      "glue",           "referral",
                                       "answer", "auth-authority", "auth-answer"};
    auto i = static_cast<uint8_t>(c);
    return i < 6 ? text[i] : "?";
}

void describe_rrsets(std::ostream& out, const wire::Name& name, ControlTargets& t, uint32_t now) {
    auto show = [&](const cache::RRsetCache& c, const std::string& where) {
        for (const auto& h : c.held(name, wire::cls::IN, now)) {
            out << where << (h.nxdomain ? "NXDOMAIN" : type_text(h.type))
                << (h.negative && !h.nxdomain ? " NODATA" : "") << " ttl " << h.ttl << ' '
                << credibility_text(h.trust.credibility) << ' ' << security_text(h.trust.security)
                << '\n';
            for (const auto& r : h.records) {
                out << "    " << r.owner.to_text() << ' ' << type_text(r.type);
                // A signature's bytes tell an operator nothing here: its presence does.
                if (r.type != wire::type::RRSIG) out << ' ' << wire::rdata_to_text(r.type, r.rdata);
                out << '\n';
            }
        }
    };
    show(t.rrsets, "rrset ");
    for (std::size_t i = 0; i < t.view_rrsets.size(); ++i)
        show(*t.view_rrsets[i], "view " + std::to_string(i + 1) + " rrset ");
}

void describe_answers(std::ostream& out, const wire::Name& name, ControlTargets& t, uint32_t now) {
    for (const auto& a : t.answers.held(name.key(), now)) {
        out << "answer " << type_text(a.qtype) << " ttl " << a.ttl << " rcode " << int{a.rcode}
            << (a.ad ? " AD" : "") << ((a.bits & 1) ? " (DO)" : "")
            << ((a.bits & 2) ? " (CD)" : "");
        if (a.view) out << " view " << int{a.view};
        if (a.ede != wire::ede::none) out << " EDE " << a.ede;
        out << '\n';
    }
}

// The closest enclosing zone cut the cache knows, and the addresses of its servers: where
// iteration would start for NAME (forward and stub zones, which come first, are not shown).
void describe_servers(std::ostream& out, const wire::Name& name, ControlTargets& t, uint32_t now) {
    for (wire::Name zone = name;; zone = zone.parent()) {
        auto ns = t.rrsets.get(zone, wire::type::NS, wire::cls::IN, now);
        if (ns) {
            out << "servers of " << zone.to_text() << " (NS ttl " << (ns->records.front().ttl)
                << ")\n";
            for (const auto& r : ns->records) {
                auto target = wire::rdata_target(r.type, r.rdata);
                if (!target) continue;
                out << "  " << target->to_text();
                for (uint16_t type : {wire::type::A, wire::type::AAAA})
                    if (auto addr = t.rrsets.get(*target, type, wire::cls::IN, now))
                        for (const auto& a : addr->records)
                            out << ' ' << wire::rdata_to_text(a.type, a.rdata);
                out << '\n';
            }
            return;
        }
        if (zone.is_root()) break;
    }
    out << "servers: none cached (the root hints)\n";
}

}  // namespace

void load_cache_file(const std::string& path, ControlTargets& t) {
    if (path.empty()) return;
    auto start = std::chrono::steady_clock::now();
    cache::LoadReport r = cache::load_caches(path, caches_of(t), cache_clock());
    if (!r.error.empty()) {
        P53_LOG(warning, "cache file ignored, starting with empty caches: " << r.error);
        return;
    }
    P53_LOG(info, "cache file " << path << ": " << r.loaded << " records loaded, " << r.expired
                                << " expired, " << r.skipped << " skipped, in " << ms_since(start)
                                << " ms");
}

void dump_cache_file(const std::string& path, ControlTargets& t) {
    if (path.empty()) return;
    auto start = std::chrono::steady_clock::now();
    cache::DumpReport r = cache::dump_caches(path, caches_of(t), cache_clock());
    if (!r.error.empty()) {
        P53_LOG(warning, "cache file not written: " << r.error);
        return;
    }
    P53_LOG(info, "cache file " << path << ": " << r.records << " records, " << r.bytes
                                << " bytes, written in " << ms_since(start) << " ms");
}

std::string dump_cache_command(const std::string& path, ControlTargets& t) {
    // The daemon's working directory is not the operator's: a relative path would surprise.
    if (!path.starts_with('/')) return "error: give an absolute path: " + path + "\n";
    cache::DumpReport r = cache::dump_caches(path, caches_of(t), cache_clock());
    if (!r.error.empty()) return "error: " + r.error + "\n";
    P53_LOG(info, "control: cache dumped to " << path << ", " << r.records << " records");
    return "ok\n" + std::to_string(r.records) + " records, " + std::to_string(r.bytes) +
           " bytes written to " + path + "\n";
}

std::string load_cache_command(const std::string& path, ControlTargets& t) {
    if (!path.starts_with('/')) return "error: give an absolute path: " + path + "\n";
    cache::LoadReport r = cache::load_caches(path, caches_of(t), cache_clock());
    if (!r.error.empty()) return "error: " + r.error + "\n";
    P53_LOG(info, "control: cache loaded from " << path << ", " << r.loaded << " records");
    return "ok\n" + std::to_string(r.loaded) + " records loaded, " + std::to_string(r.expired) +
           " expired, " + std::to_string(r.skipped) + " skipped\n";
}

std::string lookup_command(const std::string& text, ControlTargets& t) {
    auto name = wire::Name::from_text(text);
    if (!name) return "error: not a domain name: " + text + "\n";
    uint32_t now = cache_clock().now();
    std::ostringstream out;
    out << "ok\n";
    describe_rrsets(out, *name, t, now);
    describe_answers(out, *name, t, now);
    describe_servers(out, *name, t, now);
    return out.str();
}

std::string flush_bogus_command(ControlTargets& t) {
    // Bogus data lives only in the RRset caches: the answer cache never keeps a bogus answer
    // (server.cpp), it is SERVFAIL to every client that did not set CD.
    std::size_t n = t.rrsets.forget_bogus();
    for (auto* c : t.view_rrsets) n += c->forget_bogus();
    P53_LOG(info, "control: flushed " << n << " bogus cache entries");
    return "ok\n" + std::to_string(n) + " bogus cache entries forgotten\n";
}

}  // namespace port53::daemon
