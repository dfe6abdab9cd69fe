// dnstap (https://dnstap.info): each client query and response, and each query the
// resolver sends and the reply it gets, as a protobuf `dnstap.Dnstap` message in a Frame
// Streams (fstrm) stream on a Unix socket, the format Unbound (dnstap-socket-path), Knot
// Resolver and BIND write, so tools that read theirs read ours. The messages are encoded
// here (the few fields of the public schema we fill, written by hand: no code generator);
// libfstrm's I/O thread does the socket, with one lock-free input queue per worker, so a
// worker never waits on the reader: a full queue drops the message and counts it, and a
// reader that is not there yet is connected to when it appears.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "server/front_door.hpp"
#include "server/log_settings.hpp"

struct fstrm_iothr;

namespace port53::server {

// dnstap.Message.Type values (only those a resolver writes).
enum class DnstapType : uint8_t {
    resolver_query = 3,
    resolver_response = 4,
    client_query = 5,
    client_response = 6
};
// dnstap.SocketProtocol values.
enum class DnstapProtocol : uint8_t { udp = 1, tcp = 2, dot = 3, doh = 4 };
DnstapProtocol dnstap_protocol(ClientTransport t);

struct DnstapEvent {
    DnstapType type = DnstapType::client_query;
    DnstapProtocol protocol = DnstapProtocol::udp;
    // The client (query_address) for client messages; the authority (response_address)
    // for resolver messages. Null: left out.
    const sockaddr* peer = nullptr;
    int64_t query_time_ns = 0;         // since the UNIX epoch
    int64_t response_time_ns = 0;      // responses only
    std::span<const uint8_t> message;  // the query or the response, as sent or received
};

// The `dnstap.Dnstap` protobuf message (type MESSAGE) carrying `e`.
std::vector<uint8_t> encode_dnstap(const DnstapEvent& e, std::string_view identity,
                                   std::string_view version);

class Dnstap {
  public:
    // Starts the I/O thread; `workers` is how many threads will write (one queue each);
    // `version` goes in each message's version field.
    Dnstap(DnstapSettings s, std::size_t workers, std::string version);
    ~Dnstap();
    Dnstap(const Dnstap&) = delete;
    Dnstap& operator=(const Dnstap&) = delete;

    bool client() const { return settings_.client; }
    bool resolver() const { return settings_.resolver; }
    // From a worker: encodes and queues; never blocks.
    void write(const DnstapEvent& e);
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  private:
    DnstapSettings settings_;
    std::string version_;
    fstrm_iothr* iothr_ = nullptr;
    uint64_t id_;
    std::atomic<uint64_t> dropped_{0};
};

// Nanoseconds since the UNIX epoch, now (for DnstapEvent's times).
int64_t dnstap_now_ns();

}  // namespace port53::server
