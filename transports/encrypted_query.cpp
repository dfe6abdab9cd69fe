#include "transports/encrypted_query.hpp"

#include <vector>

#include "transports/edns_padding.hpp"

namespace port53::transports {

namespace {

void deliver(bool pad, std::span<const uint8_t> answer, const server::Server::Done& reply) {
    if (!pad || answer.empty()) return reply(answer);
    std::vector<uint8_t> padded(answer.begin(), answer.end());
    pad_reply(padded);
    reply(padded);
}

}  // namespace

bool answer_query(server::Server& server, std::span<const uint8_t> query, const sockaddr* client,
                  const server::Acl* acl, const boost::asio::any_io_executor& ex,
                  server::Server::Done reply, bool may_pad) {
    thread_local std::vector<uint8_t> scratch(65535);
    bool pad = may_pad && has_padding_option(query);
    std::size_t len = 0;
    switch (server.handle_fast(query, scratch, len, server::ClientTransport::stream, client, acl)) {
        case server::Server::Fast::answered:
            deliver(pad, std::span(scratch.data(), len), reply);
            return true;
        case server::Server::Fast::drop:
            reply({});
            return true;
        case server::Server::Fast::resolve:
            break;
    }
    server.handle_slow(
        query, server::ClientTransport::stream, ex,
        [pad, reply = std::move(reply)](std::span<const uint8_t> answer) {
            deliver(pad, answer, reply);
        },
        client);
    return false;
}

}  // namespace port53::transports
