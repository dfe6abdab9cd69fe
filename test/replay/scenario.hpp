// The replay scenario format (see README.md in this directory): zones, their servers,
// faults, and client queries with what their answers must show.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "wire/message.hpp"
#include "zone_signer.hpp"

namespace port53::replay {

// "file:line: what is wrong".
struct ScenarioError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Mnemonics (ldns's tables, so "TYPE65534" and numbers work too); throw on unknown ones.
uint16_t type_from_text(const std::string& text);
std::string type_to_text(uint16_t type);
uint16_t rcode_from_text(const std::string& text);
std::string rcode_to_text(uint16_t rcode);

struct ZoneSpec {
    int line = 0;
    wire::Name apex;
    std::vector<std::string> servers;
    bool is_signed = false;
    SigningOptions signing;
    enum class Ds { automatic, none, mismatch } ds = Ds::automatic;
    uint8_t ds_digest = 2;
    bool undelegated = false;  // its parent holds no NS for it: only a route reaches it
    std::vector<wire::Record> records;
};

// Whose keys sign a literal reply or supply its DNSKEY RRset: a zone of the scenario
// (`by ZONE`), or an impostor (`as NAME`: keys made up for NAME, the same ones for every use
// of that name in the scenario, published nowhere and matching no DS).
struct KeySource {
    std::optional<wire::Name> zone;  // nullopt: the server's zone holding the qname
    bool impostor = false;
};

// The COOKIE option (RFC 7873) a literal reply carries when the query had one.
enum class ReplyCookie {
    echo,      // the query's client cookie and this server's cookie for it (the default)
    mismatch,  // another client cookie: a reply not meant for us (a spoof)
    none,      // no COOKIE option
};

// A message written out in the scenario, sent instead of the zone's answer.
struct LiteralReply {
    uint16_t flags = 0;  // AA, TC, AD and the rcode
    std::vector<wire::Record> answer, authority, additional;
    bool sign_answer = false, sign_authority = false, sign_additional = false;
    KeySource sign_with;
    std::vector<KeySource> dnskeys;  // DNSKEY RRsets appended to the answer
    ReplyCookie cookie = ReplyCookie::echo;
};

enum class FaultKind {
    timeout,          // no answer at all
    servfail,         // the rcode alone, with the question
    refused,          //
    formerr,          //
    notimp,           //
    drop_rrsig,       // every RRSIG removed
    bad_rrsig,        // one byte of every signature flipped
    strip_ds,         // referral without DS and without NSEC/NSEC3 proof
    strip_denial,     // NSEC/NSEC3 (and their RRSIGs) removed
    upward_referral,  // a referral back to the root
    garbage,          // ID and question right, the rest unparsable
    truncate,         // TC=1 over UDP (TCP answers normally)
    noedns,           // FORMERR without OPT to queries with EDNS (RFC 6891 §7)
    cookie_mismatch,  // the zone's answer, its COOKIE echoing another client cookie (a spoof)
    badcookie,        // BADCOOKIE (23) with a fresh server cookie, to a query with a cookie
    no_cookie,        // the zone's answer without a COOKIE option (a server without cookies)
    reply,            // the literal reply
};

struct FaultSpec {
    int line = 0;
    std::string server = "*";
    std::optional<wire::Name> qname;  // nullopt: any name
    bool below = false;               // qname and every name below it
    std::optional<uint16_t> qtype;    // nullopt: any type
    FaultKind kind = FaultKind::timeout;
    int count = -1;           // how many matching queries it applies to; -1: all
    std::optional<bool> tcp;  // nullopt: both transports
    LiteralReply reply;
};

constexpr uint32_t kAnyEde = 0x10000;  // `expect ede any`

enum class ReplySection { answer, authority, additional };

struct Expect {
    enum class Kind {
        rcode,       // number
        ede,         // number (wire::ede::none: no EDE option at all)
        flags,       // flag_checks
        record,      // section has owner/type(/rdata)
        has_type,    // section has a record of type (owned by owner)
        lacks_type,  // section has none
        count,       // section holds exactly number records
        upstream,    // upstream queries compared with number
        asked,       // a query matching server/qname/qtype/qualifiers was sent (or not)
        unwanted,    // replies the engine counted as unwanted (Network::note_unwanted)
    };
    int line = 0;
    Kind kind = Kind::rcode;
    uint32_t number = 0;
    std::vector<std::pair<uint16_t, bool>> flag_checks;  // flag, wanted set
    ReplySection section = ReplySection::answer;
    std::optional<wire::Name> owner;
    uint16_t type = 0;  // 0 in `asked`: any type
    std::optional<std::string> rdata;
    std::string op;  // upstream, unwanted: <=, <, ==, >=, >
    std::string server;
    // asked: tcp, udp, cookie, no-cookie, server-cookie, stale-server-cookie,
    // no-server-cookie (what the query log line must show, all of them)
    std::vector<std::string> qualifiers;
    bool negate = false;
};

struct QuerySpec {
    int line = 0;
    wire::Name qname;
    uint16_t qtype = 0;
    bool dnssec_ok = false, cd = false, ad = false, rd = true, edns = true, udp = false;
    std::vector<Expect> expects;
};

struct Event {
    enum class Kind { query, fault, clear_faults, advance } kind = Kind::query;
    int line = 0;
    QuerySpec query;
    FaultSpec fault;
    uint32_t seconds = 0;
};

struct ConfigItem {
    int line = 0;
    std::string key, value;
};

struct Scenario {
    std::string file;
    std::string title;
    std::optional<std::string> xfail;
    std::vector<ConfigItem> config;
    std::vector<ZoneSpec> zones;
    std::vector<Event> events;
};

Scenario parse_scenario(const std::string& text, const std::string& file);
Scenario load_scenario(const std::string& path);

}  // namespace port53::replay
