// libFuzzer target: everything a client or an authority can send us goes through these
// parsers; none may crash, hang or read out of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/clock.hpp"
#include "cache/answer_cache.hpp"
#include "wire/builder.hpp"
#include "wire/message.hpp"
#include "wire/query_view.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace port53;
    std::span<const uint8_t> in(data, size);
    wire::QueryView q;
    if (wire::parse_query(in, q) == wire::QueryCheck::ok) {
        // Answer it from a cache entry the way the hot path would.
        cache::AnswerCache c(1 << 16, 1);
        cache::AnswerKey key(q);
        wire::MessageBuilder b;
        b.header(0, wire::flag::QR);
        auto qname = wire::Name::from_wire(
            std::string_view(reinterpret_cast<const char*>(q.qname), q.qname_len));
        if (!qname) __builtin_trap();  // parse_query accepted it: it must be a name
        b.question(*qname, q.qtype, q.qclass);
        c.store(key, cache::make_stored_answer(b.bytes(), b.ttl_offsets(), 1), 0);
        uint8_t out[4096];
        c.answer(key, q, in, out, {q.udp_size, 1232}, 1);
    }
    wire::error_response(in, 1);
    if (auto m = wire::parse_message(in)) {
        // Re-render what was parsed: the builder must cope with anything the parser accepts.
        wire::MessageBuilder b;
        b.header(m->id, m->flags);
        for (const auto& qq : m->questions) b.question(qq.name, qq.type, qq.cls);
        for (const auto& r : m->answer) b.add(wire::Section::answer, r);
        for (const auto& r : m->authority) b.add(wire::Section::authority, r);
        for (const auto& r : m->additional) b.add(wire::Section::additional, r);
        wire::parse_message(b.bytes());
    }
    return 0;
}
