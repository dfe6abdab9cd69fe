// One scenario's world: the signed zones and their servers, and the real resolver in front
// of them (Server + Engine + caches + Infra) on a manual clock.
#pragma once
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authority.hpp"
#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "cache/rrset_cache.hpp"
#include "engine/engine.hpp"
#include "replay_network.hpp"
#include "scenario.hpp"
#include "server/server.hpp"
#include "upstream/infra.hpp"
#include "zone_signer.hpp"

namespace port53::replay {

struct ClientReply {
    bool answered = false;              // false: the server sent nothing
    wire::Message msg;                  // parsed reply
    uint16_t ede = wire::ede::none;     // the EDE info-code from the reply's OPT
    std::vector<std::string> upstream;  // what the resolver asked while answering
    int unwanted = 0;                   // replies it called unwanted meanwhile
};

class Lab {
  public:
    // Signs and loads every zone and builds the resolver; throws ScenarioError.
    explicit Lab(const Scenario& s, bool trace = false);
    ~Lab();

    ClientReply ask(const QuerySpec& q);
    void advance(uint32_t seconds) { clock_.advance(seconds); }
    void add_fault(const FaultSpec& f) { net_.add_fault(f); }
    void clear_faults() { net_.clear_faults(); }
    const std::vector<std::string>& log() const { return net_.log(); }

  private:
    void build_zones(const Scenario& s);
    void configure(const Scenario& s);
    void add_route(const Scenario& s, const ConfigItem& c);
    void keep_hints(const Scenario& s, const ConfigItem& c);

    base::ManualClock clock_;
    std::vector<std::unique_ptr<ZoneSigner>> signers_;
    std::vector<std::unique_ptr<Authority>> authorities_;
    std::map<std::string, std::vector<wire::Record>> ds_by_zone_;  // KSK DS of signed zones
    upstream::RootHints hints_;
    ReplayNetwork net_;
    engine::EngineSettings engine_settings_;
    server::ServerSettings server_settings_;
    cache::RRsetCache rrsets_{16 << 20, 4, {}};
    cache::AnswerCache answers_{16 << 20, 4};
    upstream::Infra infra_{{}};
    std::unique_ptr<engine::Engine> engine_;
    std::unique_ptr<server::Server> server_;
    boost::asio::io_context io_;
    uint16_t next_id_ = 0x4000;
};

// The EDE info-code (RFC 8914) in a message's OPT, or ede::none.
uint16_t extract_ede(std::span<const uint8_t> message);

}  // namespace port53::replay
