#include "transports/stream_query.hpp"

#include <vector>

#include "transports/edns_padding.hpp"
#include "wire/types.hpp"

namespace port53::transports {

namespace {

void deliver(bool pad, std::span<const uint8_t> answer, const server::FrontDoor::Done& reply) {
    if (!pad || answer.empty()) return reply(answer);
    std::vector<uint8_t> padded(answer.begin(), answer.end());
    pad_reply(padded);
    reply(padded);
}

}  // namespace

bool answer_query(server::FrontDoor& front_door, std::span<const uint8_t> query,
                  const sockaddr* client, const server::Acl* acl, server::ViewId view,
                  const boost::asio::any_io_executor& ex, server::FrontDoor::Done reply,
                  server::ClientTransport t, std::shared_ptr<const void> keep_alive) {
    thread_local std::vector<uint8_t> scratch(wire::kMaxMessageSize);
    bool pad = t != server::ClientTransport::tcp && has_padding_option(query);
    std::size_t len = 0;
    switch (front_door.handle_fast(query, scratch, len, t, client, acl, view)) {
        case server::FrontDoor::Fast::answered:
            deliver(pad, std::span(scratch.data(), len), reply);
            return true;
        case server::FrontDoor::Fast::drop:
            reply({});
            return true;
        case server::FrontDoor::Fast::resolve:
            break;
    }
    front_door.handle_slow(
        query, t, ex,
        [pad, reply = std::move(reply), keep = std::move(keep_alive)](
            std::span<const uint8_t> answer) { deliver(pad, answer, reply); },
        client, view);
    return false;
}

}  // namespace port53::transports
