// The validator on its own: zones signed for real (test/replay/zone_signer, ldns), and a
// scripted fetcher standing in for the engine. It judges the DS answers it serves with the
// validator under test, as the engine's resolutions do, so the chain is walked for real.
#include "dnssec/validator.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "base/clock.hpp"
#include "dnssec/verify.hpp"
#include "helpers.hpp"
#include "test/replay/zone_signer.hpp"
#include "wire/types.hpp"

using namespace port53;
using namespace port53::wire;
using dnssec::Claim;
using dnssec::Verdict;
using test::N;

namespace {

template <typename T>
T run(base::awaitable<T> task) {
    boost::asio::io_context io;
    std::optional<T> out;
    boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
        if (e) std::rethrow_exception(e);
        out = std::move(value);
    });
    io.run();
    return std::move(*out);
}

std::string key(const Name& name, uint16_t qtype) {
    return name.to_text() + "/" + std::to_string(qtype);
}

// The RRset of `owner`/`t` in a signed zone, followed by its RRSIGs.
std::vector<Record> signed_set(const std::vector<Record>& zone, const char* owner, uint16_t t) {
    std::vector<Record> out;
    for (const auto& r : zone)
        if (r.owner == N(owner) && r.type == t) out.push_back(r);
    auto sigs = dnssec::signatures_for(zone, N(owner), t);
    out.insert(out.end(), sigs.begin(), sigs.end());
    return out;
}

void append(std::vector<Record>& to, const std::vector<Record>& from) {
    to.insert(to.end(), from.begin(), from.end());
}

Claim answer(std::vector<Record> records, const char* name) {
    Claim c;
    c.kind = Claim::Kind::answer;
    c.records = std::move(records);
    c.next = N(name);
    return c;
}

Claim denial(Claim::Kind kind, std::vector<Record> authority, const char* name) {
    Claim c;
    c.kind = kind;
    c.authority = std::move(authority);
    c.next = N(name);
    return c;
}

// Stands in for the engine: scripted answers (no script: the servers failed), each
// judged by the validator like any resolution; DNSKEY RRsets straight from the "servers".
class ScriptedFetcher final : public dnssec::Fetcher {
  public:
    struct Answer {
        Claim claim;
        Name zone;  // whose servers gave it
    };
    dnssec::Validator* validator = nullptr;
    std::map<std::string, Answer> answers;
    std::map<std::string, std::vector<Record>> from_servers;
    std::vector<std::string> asked;
    std::vector<std::vector<Record>> kept;

    base::awaitable<dnssec::FetchResult> fetch(Question q) override {
        asked.push_back("fetch " + key(q.name, q.type));
        dnssec::FetchResult out;
        auto it = answers.find(key(q.name, q.type));
        if (it == answers.end()) {
            out.rcode = rcode::SERVFAIL;
            co_return out;
        }
        Answer a = it->second;
        Verdict v = co_await validator->judge(a.claim, q, a.zone, *this);
        out.rcode = a.claim.kind == Claim::Kind::nxdomain ? rcode::NXDOMAIN : rcode::NOERROR;
        out.answer = a.claim.records;
        out.authority = a.claim.authority;
        out.security = v.security;
        out.ede = v.ede;
        co_return out;
    }
    base::awaitable<std::vector<Record>> fetch_unvalidated(Question q) override {
        asked.push_back("servers " + key(q.name, q.type));
        co_return from_servers[key(q.name, q.type)];
    }
    Name parent_zone(const Name& zone) override {
        asked.push_back("parent of " + zone.to_text());
        return zone.parent();
    }
    void keep_secure(const std::vector<Record>& rrset, const std::vector<Record>& rrsigs,
                     uint32_t ttl) override {
        kept.push_back(rrset);
    }
    bool was_asked(const std::string& what) const {
        return std::find(asked.begin(), asked.end(), what) != asked.end();
    }
};

// A signed root (the trust anchor) delegating to a signed example., an unsigned plain.
// and holding nocut., a name with data but no delegation.
struct Lab {
    base::ManualClock clock;
    replay::ZoneSigner root{N("."), {}, clock.unix_now()};
    replay::ZoneSigner example{N("example."), {}, clock.unix_now()};
    std::vector<Record> root_zone, example_zone;
    std::shared_ptr<dnssec::TrustAnchors> anchors;
    std::unique_ptr<dnssec::Validator> validator;
    ScriptedFetcher fetcher;

    Lab() {
        using test::name_rr;
        root_zone = root.sign_zone({test::soa("."), name_rr(".", type::NS, "a.root-servers.net."),
                                    name_rr("example.", type::NS, "ns.example."), example.ksk_ds(),
                                    name_rr("plain.", type::NS, "ns.plain."),
                                    test::rr("nocut.", type::TXT, 300, "\1x")});
        example_zone =
            example.sign_zone({test::soa("example."), name_rr("example.", type::NS, "ns.example."),
                               test::a("www.example.", "192.0.2.1")});
        anchors = std::make_shared<dnssec::TrustAnchors>(
            dnssec::TrustAnchors::from_records({root.ksk_ds()}));
        validator = std::make_unique<dnssec::Validator>(anchors, dnssec::Limits{}, clock);
        fetcher.validator = validator.get();
        fetcher.from_servers[key(N("."), type::DNSKEY)] = signed_set(root_zone, ".", type::DNSKEY);
        fetcher.from_servers[key(N("example."), type::DNSKEY)] =
            signed_set(example_zone, "example.", type::DNSKEY);
        // The root's answers for DS: example. has one; plain. is a proven unsigned
        // delegation; nocut. exists without NS, so a "no DS" there proves no delegation.
        fetcher.answers[key(N("example."), type::DS)] = {
            answer(signed_set(root_zone, "example.", type::DS), "example."), N(".")};
        for (const char* name : {"plain.", "nocut."})
            fetcher.answers[key(N(name), type::DS)] = {
                denial(Claim::Kind::nodata, root_denial(name), name), N(".")};
    }

    // The root's SOA and the NSEC at `owner`, signed.
    std::vector<Record> root_denial(const char* owner) const {
        std::vector<Record> out = signed_set(root_zone, ".", type::SOA);
        append(out, signed_set(root_zone, owner, type::NSEC));
        return out;
    }

    Verdict judge(Claim& claim, const char* qname, uint16_t qtype, const char* zone) {
        Question q{N(qname), qtype, cls::IN};
        return run(validator->judge(claim, q, N(zone), fetcher));
    }
};

}  // namespace

TEST_CASE("validator: a signed answer is secure through keys proven from the anchor down",
          "[validator]") {
    Lab lab;
    Claim c = answer(signed_set(lab.example_zone, "www.example.", type::A), "www.example.");
    // A junk RRSIG beside the good one must not stay in a secure answer.
    Record junk = c.records.back();
    junk.rdata.back() ^= 1;
    c.records.push_back(junk);
    Verdict v = lab.judge(c, "www.example.", type::A, "example.");
    CHECK(v.security == Security::secure);
    CHECK(v.ttl_cap <= 300);
    CHECK(std::count(c.records.begin(), c.records.end(), junk) == 0);
    CHECK(c.records.size() == 2);  // the A and the RRSIG that verified
    CHECK(lab.fetcher.asked ==
          std::vector<std::string>{"fetch example./43", "servers ./48", "servers example./48"});
    REQUIRE(lab.fetcher.kept.size() == 2);  // the keys of the root and of example.
    CHECK(lab.fetcher.kept[1].front().type == type::DNSKEY);

    // The keys are proven once: the next answer from the zone asks nothing.
    Claim again = answer(signed_set(lab.example_zone, "www.example.", type::A), "www.example.");
    CHECK(lab.judge(again, "www.example.", type::A, "example.").is_secure());
    CHECK(lab.fetcher.asked.size() == 3);
}

TEST_CASE("validator: a broken or missing signature is bogus", "[validator]") {
    Lab lab;
    Claim c = answer(signed_set(lab.example_zone, "www.example.", type::A), "www.example.");
    c.records.back().rdata.back() ^= 1;
    Verdict v = lab.judge(c, "www.example.", type::A, "example.");
    CHECK(v.security == Security::bogus);
    CHECK(v.ede == ede::dnssec_bogus);

    Claim unsigned_data = answer({test::a("www.example.", "192.0.2.1")}, "www.example.");
    v = lab.judge(unsigned_data, "www.example.", type::A, "example.");
    CHECK(v.security == Security::bogus);
    CHECK(v.ede == ede::rrsigs_missing);
}

TEST_CASE("validator: a denial needs its NSEC proof", "[validator]") {
    Lab lab;
    std::vector<Record> proof = signed_set(lab.example_zone, "example.", type::SOA);
    // example. → www.example. covers nope.example. and the wildcard *.example.
    append(proof, signed_set(lab.example_zone, "example.", type::NSEC));
    Claim c = denial(Claim::Kind::nxdomain, proof, "nope.example.");
    CHECK(lab.judge(c, "nope.example.", type::A, "example.").is_secure());

    Claim no_proof = denial(Claim::Kind::nxdomain,
                            signed_set(lab.example_zone, "example.", type::SOA), "nope.example.");
    Verdict v = lab.judge(no_proof, "nope.example.", type::A, "example.");
    CHECK(v.security == Security::bogus);
    CHECK(v.ede == ede::nsec_missing);
}

TEST_CASE("validator: a parent's \"no DS\" without a delegation is bogus (downgrade)",
          "[validator]") {
    Lab lab;
    // Servers claiming a zone nocut. serve unsigned data; the root's NSEC at nocut. shows
    // no DS, but no NS either: nocut. is no zone cut, so nothing made it insecure.
    Claim c = answer({test::a("www.nocut.", "192.0.2.9")}, "www.nocut.");
    Verdict v = lab.judge(c, "www.nocut.", type::A, "nocut.");
    CHECK(v.security == Security::bogus);
    CHECK(v.ede == ede::dnssec_bogus);
    CHECK(lab.fetcher.was_asked("fetch nocut./43"));

    // DS stripped from the parent's answer with no denial at all: bogus as well.
    Lab stripped;
    stripped.fetcher.answers[key(N("example."), type::DS)] = {
        denial(Claim::Kind::nodata, signed_set(stripped.root_zone, ".", type::SOA), "example."),
        N(".")};
    Claim data = answer(signed_set(stripped.example_zone, "www.example.", type::A), "www.example.");
    CHECK(stripped.judge(data, "www.example.", type::A, "example.").security == Security::bogus);
    CHECK_FALSE(stripped.fetcher.was_asked("servers example./48"));
}

TEST_CASE("validator: a proven unsigned delegation is insecure", "[validator]") {
    Lab lab;
    Claim c = answer({test::a("www.plain.", "192.0.2.7")}, "www.plain.");
    Verdict v = lab.judge(c, "www.plain.", type::A, "plain.");
    CHECK(v.security == Security::insecure);
    CHECK_FALSE(lab.fetcher.was_asked("servers plain./48"));  // no keys to look for
}

TEST_CASE("validator: a DS that cannot be had is bogus below a secure parent only", "[validator]") {
    Lab lab;
    lab.fetcher.answers.erase(key(N("example."), type::DS));  // the root's servers fail
    Claim c = answer(signed_set(lab.example_zone, "www.example.", type::A), "www.example.");
    Verdict v = lab.judge(c, "www.example.", type::A, "example.");
    CHECK(v.security == Security::bogus);
    CHECK(lab.fetcher.was_asked("parent of example."));

    // Below plain. (proven insecure) a zone needs no DS: failing to get one is no attack.
    Claim below = answer({test::a("www.sub.plain.", "192.0.2.8")}, "www.sub.plain.");
    CHECK(lab.judge(below, "www.sub.plain.", type::A, "sub.plain.").security == Security::insecure);
    CHECK(lab.fetcher.was_asked("parent of sub.plain."));

    // A DS answer that is itself bogus (a forged signature) makes the zone bogus.
    Lab forged;
    auto& ds = forged.fetcher.answers[key(N("example."), type::DS)].claim.records;
    ds.back().rdata.back() ^= 1;
    Claim data = answer(signed_set(forged.example_zone, "www.example.", type::A), "www.example.");
    CHECK(forged.judge(data, "www.example.", type::A, "example.").security == Security::bogus);
}

TEST_CASE("validator: under a negative trust anchor nothing is asked or judged", "[validator]") {
    Lab lab;
    lab.anchors->add_negative(N("example."));
    Claim c = answer({test::a("www.example.", "192.0.2.1")}, "www.example.");
    CHECK(lab.judge(c, "www.example.", type::A, "example.").security == Security::insecure);
    CHECK(lab.fetcher.asked.empty());

    Claim servfail;  // a response that claimed nothing is left unchecked
    CHECK(lab.judge(servfail, "www.sub.", type::A, ".").security == Security::unchecked);
    CHECK(lab.fetcher.asked.empty());
}

TEST_CASE("validator: the DS in a referral is judged with the parent's keys", "[validator]") {
    Lab lab;
    auto referral = [&](const char* child, uint16_t t) {
        Message m;
        m.authority = signed_set(lab.root_zone, child, t);
        return run(lab.validator->judge_referral(m, N(child), N("."), lab.fetcher));
    };
    auto ds = referral("example.", type::DS);
    REQUIRE(ds);
    CHECK(ds->verdict.is_secure());
    CHECK(ds->claim.kind == Claim::Kind::answer);
    CHECK(ds->claim.records.front().type == type::DS);

    auto unsigned_cut = referral("plain.", type::NSEC);
    REQUIRE(unsigned_cut);
    CHECK(unsigned_cut->verdict.is_secure());
    CHECK(unsigned_cut->claim.kind == Claim::Kind::nodata);

    // The genuine NSEC of a name that is no delegation proves nothing (RFC 6840 §4.4).
    CHECK_FALSE(referral("nocut.", type::NSEC));

    // Once the child's keys are known, the referral has nothing to add.
    Claim c = answer(signed_set(lab.example_zone, "www.example.", type::A), "www.example.");
    REQUIRE(lab.judge(c, "www.example.", type::A, "example.").is_secure());
    CHECK_FALSE(referral("example.", type::DS));
}
