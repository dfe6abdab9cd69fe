// A Network that answers from a script instead of sockets, so a whole resolution runs
// inside a unit test. Unscripted questions time out, like a server that never answers.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "upstream/network.hpp"
#include "wire/message.hpp"

namespace port53::test {

struct Scripted {
    uint16_t flags = wire::flag::AA;  // plus the rcode in the low bits
    std::vector<wire::Record> answer, authority, additional;
    bool truncate_udp = false;        // answer UDP with TC=1 and no records
    bool reject_edns = false;         // FORMERR without OPT to queries that carry EDNS
    bool lowercase_question = false;  // a server that does not echo the question's case
};

class ScriptedNetwork final : public upstream::Network {
  public:
    // Answer questions for exactly `qname` (or, with `subtree`, anything below it too).
    void on(const char* server, const char* qname, uint16_t qtype, Scripted reply,
            bool subtree = false) {
        rules_.push_back({server, N(qname), qtype, std::move(reply), subtree});
    }

    port53::base::awaitable<upstream::ExchangeResult> exchange(const upstream::ServerAddr& server,
                                                               std::span<const uint8_t> query,
                                                               upstream::Proto proto,
                                                               std::chrono::milliseconds) override {
        using namespace wire;
        Message q = parse_message(query).value();
        const Question& qq = q.questions.at(0);
        std::string addr = server.to_string();
        addr = addr.substr(0, addr.rfind(':'));
        log.push_back(addr + " " + qq.name.to_text() + " " + std::to_string(qq.type) +
                      (proto == upstream::Proto::tcp ? " tcp" : "") + (q.edns ? "" : " noedns"));
        upstream::ExchangeResult res;
        const Rule* rule = find(addr, qq.name, qq.type);
        if (!rule) {
            res.status = upstream::ExchangeResult::Status::timeout;
            co_return res;
        }
        MessageBuilder b;
        const Scripted& s = rule->reply;
        if (s.reject_edns && q.edns) {
            b.header(q.id, flag::QR | rcode::FORMERR);
            b.question(qq.name, qq.type, qq.cls);
        } else {
            bool tc = s.truncate_udp && proto == upstream::Proto::udp;
            b.header(q.id, static_cast<uint16_t>(flag::QR | s.flags | (tc ? flag::TC : 0)));
            b.question(s.lowercase_question ? Name::from_wire(qq.name.key()).value() : qq.name,
                       qq.type, qq.cls);
            if (!tc) {
                for (const auto& r : s.answer) b.add(Section::answer, r);
                for (const auto& r : s.authority) b.add(Section::authority, r);
                for (const auto& r : s.additional) b.add(Section::additional, r);
            }
            if (q.edns) b.add_opt(1232, false);
        }
        res.status = upstream::ExchangeResult::Status::ok;
        res.response = b.take();
        res.rtt = std::chrono::microseconds(500);
        co_return res;
    }

    void note_unwanted() override { ++unwanted; }

    std::vector<std::string> log;
    int unwanted = 0;

  private:
    struct Rule {
        std::string server;
        wire::Name qname;
        uint16_t qtype;
        Scripted reply;
        bool subtree;
    };
    const Rule* find(const std::string& server, const wire::Name& name, uint16_t type) const {
        for (const auto& r : rules_)
            if (r.server == server && r.qname == name && r.qtype == type) return &r;
        for (const auto& r : rules_)
            if (r.server == server && r.subtree && name.is_subdomain_of(r.qname)) return &r;
        return nullptr;
    }
    std::vector<Rule> rules_;
};

}  // namespace port53::test
