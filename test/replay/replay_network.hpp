// The scripted Internet a scenario runs in: each server address serves some zones (the
// deepest zone holding the question answers, like NSD), and faults bend the answers.
// No sockets: a query is answered within the call.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority.hpp"
#include "scenario.hpp"
#include "upstream/network.hpp"
#include "zone_signer.hpp"

namespace port53::replay {

class ReplayNetwork final : public upstream::Network {
  public:
    // `signer` (null for unsigned zones) signs literal replies for the zone.
    void serve(const std::string& server, const Authority* zone, const ZoneSigner* signer);
    // The signing time of impostor keys (`sign ... as NAME`, `dnskey as NAME`).
    void set_signing_time(uint32_t unix_now) { signing_time_ = unix_now; }
    // Where an upward referral points (an NS name of the root).
    void set_root_ns(wire::Name ns) { root_ns_ = std::move(ns); }
    // Faults apply in the order added; the first that matches a query decides.
    // Throws ScenarioError when a literal reply asks to be signed by a zone nobody signs.
    void add_fault(const FaultSpec& f);
    void clear_faults() { faults_.clear(); }
    // Print every response to stderr (the runner's -v).
    void set_trace(bool on) { trace_ = on; }

    base::awaitable<upstream::ExchangeResult> exchange(const upstream::ServerAddr& server,
                                                       std::span<const uint8_t> query,
                                                       upstream::Proto proto,
                                                       std::chrono::milliseconds timeout) override;

    void note_unwanted() override { ++unwanted_; }

    // "192.0.2.1 www.example. A" (+ " tcp"), one line per query, oldest first, + what its
    // COOKIE option (RFC 7873) carried: " cookie" (a client cookie alone), " cookie+server"
    // (and the server cookie this server now gives that client cookie), " cookie+stale-server"
    // (a server cookie this server did not give, or no longer accepts), " cookie-malformed".
    const std::vector<std::string>& log() const { return log_; }
    // Replies the engine called unwanted (spoofs, mismatched cookies, 0x20 failures).
    int unwanted() const { return unwanted_; }

  private:
    struct Served {
        const Authority* zone;
        const ZoneSigner* signer;
    };
    struct Active {
        FaultSpec spec;
        int used = 0;
    };
    const Served* zone_for(const std::string& server, const wire::Name& qname,
                           uint16_t qtype) const;
    // The signer a literal reply names; throws ScenarioError (at `line`) if there is none.
    const ZoneSigner& key_source(const FaultSpec& f, const KeySource& k);
    Active* match(const std::string& server, const wire::Question& q, bool tcp);
    wire::Message respond(const std::string& server, const wire::Message& query, Active* fault);
    // Cookie-aware like NSD and BIND (RFC 7873 §5.2, RFC 9018): the server cookie a server
    // gives a client cookie; `badcookie` moves the server to a new one (a secret rollover).
    std::string server_cookie(const std::string& server, std::string_view client) const;
    std::string cookie_suffix(const std::string& server, const wire::Message& query) const;
    // The COOKIE option (code, length, data) of the reply to `query`, or nothing.
    std::vector<uint8_t> reply_cookie(const std::string& server, const wire::Message& query,
                                      const Active* fault) const;
    std::vector<uint8_t> bad_cookie_reply(const std::string& server, const wire::Message& query);
    // The whole reply for faults that replace the message (noedns, garbage, badcookie).
    std::optional<std::vector<uint8_t>> special_reply(const std::string& server,
                                                      const wire::Message& query,
                                                      const Active* fault);

    std::map<std::string, std::vector<Served>> servers_;
    std::vector<Active> faults_;
    std::map<std::string, const ZoneSigner*> signers_;              // by apex key
    std::map<std::string, std::unique_ptr<ZoneSigner>> impostors_;  // by name key
    uint32_t signing_time_ = 0;
    wire::Name root_ns_;
    std::vector<std::string> log_;
    std::map<std::string, uint32_t> cookie_epoch_;  // by server: bumped by `badcookie`
    int unwanted_ = 0;
    bool trace_ = false;
};

// Every RRSIG's signature with its last byte flipped: the signature no longer verifies.
void corrupt_signatures(std::vector<wire::Record>& records);

}  // namespace port53::replay
