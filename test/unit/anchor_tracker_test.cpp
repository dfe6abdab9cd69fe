// RFC 5011 trust-anchor states with a faked clock: root KSKs signed for real
// (test/replay/zone_signer, ldns), DNSKEY RRsets built as a root would publish them during a
// key roll, and the tracker's states and anchors checked after each refresh.
#include "dnssec/anchor_tracker.hpp"

#include <catch2/catch.hpp>

#include "base/clock.hpp"
#include "dnssec/anchor_state.hpp"
#include "dnssec/verify.hpp"
#include "helpers.hpp"
#include "test/replay/zone_signer.hpp"
#include "wire/types.hpp"

using namespace port53;
using namespace port53::wire;
using dnssec::AnchorTracker;
using dnssec::KeyState;
using test::N;

namespace {

constexpr uint32_t kDay = 86'400;

replay::SigningOptions long_signatures() {
    replay::SigningOptions o;
    o.expiration = 400 * kDay;  // the clock runs through hold-downs of 30 days and more
    return o;
}

struct Roll {
    base::ManualClock clock;
    replay::ZoneSigner old_key{N("."), long_signatures(), clock.unix_now()};
    replay::ZoneSigner new_key{N("."), long_signatures(), clock.unix_now()};
    dnssec::HoldDowns holddowns;
    std::unique_ptr<AnchorTracker> tracker;

    explicit Roll(dnssec::HoldDowns h = {}) : holddowns(h) {
        tracker = std::make_unique<AnchorTracker>(N("."), std::vector{old_key.ksk_ds()}, h);
    }
    Record ksk(const replay::ZoneSigner& s) const { return s.dnskeys()[0]; }
    Record zsk() const { return old_key.dnskeys()[1]; }
    // The DNSKEY RRset of `keys`, signed by the KSKs of `signers`.
    std::vector<Record> published(std::vector<Record> keys,
                                  std::vector<const replay::ZoneSigner*> signers) const {
        std::vector<Record> answer = keys;
        for (const auto* s : signers) {
            auto sigs = s->sign_rrset(keys);
            answer.insert(answer.end(), sigs.begin(), sigs.end());
        }
        return answer;
    }
    AnchorTracker::Observation refresh(const std::vector<Record>& answer) {
        return tracker->observe(answer, clock.unix_now(), dnssec::Limits{});
    }
    std::optional<KeyState> state_of(const replay::ZoneSigner& s) const {
        auto identity = dnssec::without_revoke_bit(s.dnskeys()[0].rdata);
        for (const auto& k : tracker->keys())
            if (k.rdata == identity) return k.state;
        return std::nullopt;
    }
    bool trusted(const replay::ZoneSigner& s) const {
        for (const auto& a : tracker->anchors())
            if (a.type == type::DNSKEY && a.rdata == s.dnskeys()[0].rdata) return true;
        return false;
    }
    // Both keys published, signed by the old one: the start of a roll.
    std::vector<Record> both() const {
        return published({ksk(old_key), ksk(new_key), zsk()}, {&old_key});
    }
};

}  // namespace

TEST_CASE("rfc5011: the configured key is valid, a new key waits out the add hold-down",
          "[rfc5011]") {
    Roll roll;
    CHECK(roll.tracker->anchors() == std::vector{roll.old_key.ksk_ds()});  // nothing learned yet
    auto seen = roll.refresh(roll.both());
    REQUIRE(seen.accepted);
    CHECK(seen.changed);
    CHECK(roll.state_of(roll.old_key) == KeyState::valid);
    CHECK(roll.state_of(roll.new_key) == KeyState::add_pend);
    CHECK(roll.trusted(roll.old_key));
    CHECK_FALSE(roll.trusted(roll.new_key));
    auto& pending = roll.tracker->keys()[1];
    CHECK(roll.tracker->next_change(pending) == pending.since + 30 * kDay);

    // A day short of the hold-down: still pending.
    roll.clock.advance(29 * kDay);
    seen = roll.refresh(roll.both());
    CHECK(seen.accepted);
    CHECK_FALSE(seen.changed);
    CHECK(roll.state_of(roll.new_key) == KeyState::add_pend);
    CHECK_FALSE(roll.trusted(roll.new_key));

    // Past it, and seen again in a validly signed set: trusted.
    roll.clock.advance(kDay + 1);
    seen = roll.refresh(roll.both());
    CHECK(seen.changed);
    CHECK(roll.state_of(roll.new_key) == KeyState::valid);
    CHECK(roll.trusted(roll.new_key));
    CHECK(roll.trusted(roll.old_key));
}

TEST_CASE("rfc5011: a set signed only by a key not yet trusted moves nothing", "[rfc5011]") {
    Roll roll;
    REQUIRE(roll.refresh(roll.both()).accepted);
    roll.clock.advance(31 * kDay);
    // An attacker holding only the new (pending) key: its signature is not enough, and the
    // pending key is not promoted by a set it signed itself.
    auto forged = roll.published({roll.ksk(roll.new_key), roll.zsk()}, {&roll.new_key});
    auto seen = roll.refresh(forged);
    CHECK_FALSE(seen.accepted);
    CHECK_FALSE(seen.changed);
    CHECK(seen.why.find("no trusted key") != std::string::npos);
    CHECK(roll.state_of(roll.new_key) == KeyState::add_pend);
    CHECK(roll.state_of(roll.old_key) == KeyState::valid);
    // A key withdrawn before its hold-down ends is forgotten (AddPend → Start).
    roll.refresh(roll.published({roll.ksk(roll.old_key), roll.zsk()}, {&roll.old_key}));
    CHECK_FALSE(roll.state_of(roll.new_key));
}

TEST_CASE("rfc5011: a key missing from the set stays an anchor until keep-missing", "[rfc5011]") {
    dnssec::HoldDowns h;
    h.add = 60;
    h.keep_missing = 10 * kDay;
    Roll roll(h);
    REQUIRE(roll.refresh(roll.both()).accepted);
    roll.clock.advance(61);
    roll.refresh(roll.both());
    REQUIRE(roll.state_of(roll.new_key) == KeyState::valid);
    // The old key unpublished (not revoked), the set signed by the new one.
    auto without_old = roll.published({roll.ksk(roll.new_key), roll.zsk()}, {&roll.new_key});
    REQUIRE(roll.refresh(without_old).accepted);
    CHECK(roll.state_of(roll.old_key) == KeyState::missing);
    CHECK(roll.trusted(roll.old_key));  // RFC 5011 §4: Missing keys are still anchors
    roll.clock.advance(kDay);
    roll.refresh(roll.both());
    CHECK(roll.state_of(roll.old_key) == KeyState::valid);  // back: KeyPres
    roll.refresh(without_old);
    roll.clock.advance(10 * kDay);
    CHECK(roll.refresh(without_old).changed);
    CHECK(roll.state_of(roll.old_key) == KeyState::removed);
    CHECK_FALSE(roll.trusted(roll.old_key));
}

TEST_CASE("rfc5011: a self-signed revoked key is dropped at once, removed after the hold-down",
          "[rfc5011]") {
    dnssec::HoldDowns h;
    h.add = 60;
    h.remove = 3600;
    Roll roll(h);
    REQUIRE(roll.refresh(roll.both()).accepted);
    roll.clock.advance(61);
    roll.refresh(roll.both());
    REQUIRE(roll.trusted(roll.new_key));

    // A revoked key's record without its own signature proves nothing: not revoked, and its
    // unrevoked form is gone from the set, so it is missing.
    Record old_plain = roll.ksk(roll.old_key);
    roll.old_key.revoke_ksk();
    Record old_revoked = roll.ksk(roll.old_key);
    REQUIRE(old_revoked.rdata != old_plain.rdata);
    auto unsigned_revoke =
        roll.published({old_revoked, roll.ksk(roll.new_key), roll.zsk()}, {&roll.new_key});
    REQUIRE(roll.refresh(unsigned_revoke).accepted);
    CHECK(roll.state_of(roll.old_key) == KeyState::missing);

    // §2.1: signed by itself with the REVOKE bit: revoked, no longer an anchor.
    auto revoke = roll.published({old_revoked, roll.ksk(roll.new_key), roll.zsk()},
                                 {&roll.old_key, &roll.new_key});
    auto seen = roll.refresh(revoke);
    CHECK(seen.accepted);
    CHECK(seen.changed);
    CHECK(roll.state_of(roll.old_key) == KeyState::revoked);
    CHECK(roll.tracker->anchors().size() == 1);
    CHECK(roll.trusted(roll.new_key));
    const auto& revoked = roll.tracker->keys()[0];
    CHECK(revoked.tag() == dnssec::key_tag(old_revoked.rdata));  // shown as published
    CHECK(roll.tracker->next_change(revoked) == revoked.since + 3600);

    roll.clock.advance(3600);
    CHECK(roll.refresh(revoke).changed);
    CHECK(roll.state_of(roll.old_key) == KeyState::removed);
    // Unpublished at last: forgotten.
    roll.refresh(roll.published({roll.ksk(roll.new_key), roll.zsk()}, {&roll.new_key}));
    CHECK_FALSE(roll.state_of(roll.old_key));
    CHECK(roll.tracker->keys().size() == 1);
}

TEST_CASE("rfc5011: the state file brings the states and timers back after a restart",
          "[rfc5011]") {
    Roll roll;
    REQUIRE(roll.refresh(roll.both()).accepted);
    std::string text = dnssec::format_anchor_state(N("."), roll.tracker->keys());
    std::string error;
    auto state = dnssec::parse_anchor_state(text, error);
    REQUIRE(state);
    CHECK(error.empty());
    CHECK(state->zone == N("."));

    // "Restarted" 30 days later: the hold-down counted from before the restart is over.
    AnchorTracker restarted(N("."), {roll.old_key.ksk_ds()}, {});
    restarted.restore(state->keys);
    REQUIRE(restarted.keys().size() == 2);
    CHECK(restarted.keys()[1].state == KeyState::add_pend);
    CHECK(restarted.keys()[1].since == roll.tracker->keys()[1].since);
    CHECK(restarted.anchors() == roll.tracker->anchors());
    roll.clock.advance(30 * kDay);
    auto seen = restarted.observe(roll.both(), roll.clock.unix_now(), dnssec::Limits{});
    CHECK(seen.changed);
    CHECK(restarted.keys()[1].state == KeyState::valid);
}

TEST_CASE("rfc5011: a corrupt state file is refused whole, naming the line", "[rfc5011]") {
    Roll roll;
    REQUIRE(roll.refresh(roll.both()).accepted);
    std::string good = dnssec::format_anchor_state(N("."), roll.tracker->keys());
    std::string error;
    REQUIRE(dnssec::parse_anchor_state(good, error));

    auto refused = [&](const std::string& text, const char* why) {
        std::string e;
        CHECK_FALSE(dnssec::parse_anchor_state(text, e));
        INFO(e);
        CHECK(e.find(why) != std::string::npos);
        CHECK(e.rfind("line ", 0) == 0);
    };
    refused(good.substr(0, good.size() / 2), "");                // truncated mid-way
    refused(good.substr(0, good.rfind("end")), "no end line");   // the end line lost
    refused(good.substr(0, good.rfind("key")) + "end 2\n", "");  // a key line lost
    std::string bad_state = good;
    bad_state.replace(bad_state.find("valid"), 5, "trust");
    refused(bad_state, "unknown state");
    std::string bad_hex = good;
    bad_hex.replace(bad_hex.find('\n', bad_hex.find("key ")) - 2, 2, "zz");
    refused(bad_hex, "");
    refused("zone .\nkey valid 1 0101030d\nend 1\n", "not a key-signing DNSKEY");
    refused(good + "key valid 1 0\n", "text after end");
    refused("", "no end line");
    CHECK_FALSE(dnssec::parse_anchor_state("\xff\xfe garbage", error));
}

TEST_CASE("rfc5011: the active refresh timer (§2.3)", "[rfc5011]") {
    dnssec::HoldDowns h;
    // Half the TTL or half the signatures' time left, at most 15 days, at least an hour.
    CHECK(AnchorTracker::refresh_interval(172'800, 10 * kDay, false, h) == kDay);
    CHECK(AnchorTracker::refresh_interval(300, 10 * kDay, false, h) == 3600);
    CHECK(AnchorTracker::refresh_interval(100 * kDay, 100 * kDay, false, h) == 15 * kDay);
    CHECK(AnchorTracker::refresh_interval(10 * kDay, 4 * kDay, false, h) == 2 * kDay);
    // After a failure: a tenth, at most a day, at least an hour.
    CHECK(AnchorTracker::refresh_interval(172'800, 10 * kDay, true, h) == 17'280);
    CHECK(AnchorTracker::refresh_interval(100 * kDay, 100 * kDay, true, h) == kDay);
    CHECK(AnchorTracker::refresh_interval(0, 0, true, h) == 3600);
    h.refresh = 2;  // a lab's setting replaces both
    CHECK(AnchorTracker::refresh_interval(172'800, 10 * kDay, false, h) == 2);
    CHECK(AnchorTracker::refresh_interval(172'800, 10 * kDay, true, h) == 2);
}
