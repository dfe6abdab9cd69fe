#include "tools/loadgen/account.hpp"

#include "tools/loadgen/response.hpp"

namespace port53::loadgen {

bool account_response(std::span<const uint8_t> resp, IdTable& ids, const QuerySet& queries,
                      Stats& stats, uint64_t now) {
    ResponseHead head;
    if (!read_response_head(resp, head)) {
        ++stats.stray;
        return false;
    }
    const IdTable::Entry* e = ids.find(head.id);
    if (!e) {
        ++stats.stray;  // late (after its timeout) or never asked
        return false;
    }
    if (!question_matches(resp, queries.question(e->query))) {
        ++stats.mismatched;  // not the answer to what this ID asked: it will time out
        return false;
    }
    stats.latency.record(now - e->sent_ns);
    ++stats.completed;
    ++stats.rcodes[head.rcode];
    stats.truncated += head.truncated ? 1 : 0;
    stats.response_bytes += resp.size();
    ids.release(head.id);
    return true;
}

}  // namespace port53::loadgen
