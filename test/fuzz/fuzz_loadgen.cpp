// libFuzzer target: port53-load (tools/loadgen) reads responses from the server it loads,
// which may be broken or hostile: matching one to its query must not crash or read out
// of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tools/loadgen/account.hpp"
#include "tools/loadgen/id_table.hpp"
#include "tools/loadgen/query_file.hpp"
#include "tools/loadgen/response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace port53::loadgen;
    // Every ID in flight (so any response ID finds an entry), carrying one of two queries.
    static QuerySet queries = [] {
        QuerySet q;
        std::string err;
        if (!parse_query_text("www.sec.lab A\nsec.lab. MX\n", QueryOptions{}, q, err)) {
            __builtin_trap();
        }
        return q;
    }();
    static IdTable ids = [] {
        IdTable t(1, 65536);
        for (uint32_t i = 0; i < 65536; ++i) t.acquire(i % 2, 0);
        return t;
    }();
    static Stats stats;
    std::span<const uint8_t> in(data, size);
    ResponseHead head;
    if (read_response_head(in, head)) {
        question_matches(in, queries.question(0));
        question_matches(in, queries.question(1));
    }
    if (account_response(in, ids, queries, stats, 1)) {
        // answered: its ID is the only free one; back in flight for the next input
        if (ids.acquire(head.id % 2, 0) != head.id) __builtin_trap();
    }
    return 0;
}
