#include "server/dnstap.hpp"

#include <fstrm.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "base/log.hpp"

namespace port53::server {

namespace {

constexpr const char* kContentType = "protobuf:dnstap.Dnstap";
std::atomic<uint64_t> g_next_id{1};

// Protocol Buffers wire format: varints, fixed32 and length-delimited fields.
class Protobuf {
  public:
    void varint(uint64_t v) {
        for (; v >= 0x80; v >>= 7) out_.push_back(static_cast<uint8_t>(v | 0x80));
        out_.push_back(static_cast<uint8_t>(v));
    }
    void number(int field, uint64_t v) {
        tag(field, 0);
        varint(v);
    }
    void fixed32(int field, uint32_t v) {
        tag(field, 5);
        for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    void bytes(int field, std::span<const uint8_t> b) {
        tag(field, 2);
        varint(b.size());
        out_.insert(out_.end(), b.begin(), b.end());
    }
    std::vector<uint8_t>& out() { return out_; }

  private:
    void tag(int field, int wire_type) { varint(static_cast<uint64_t>(field) << 3 | wire_type); }
    std::vector<uint8_t> out_;
};

std::span<const uint8_t> text_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// dnstap.Message field numbers (dnstap.proto).
enum Field {
    kType = 1,
    kSocketFamily = 2,
    kSocketProtocol = 3,
    kQueryAddress = 4,
    kResponseAddress = 5,
    kQueryPort = 6,
    kResponsePort = 7,
    kQueryTimeSec = 8,
    kQueryTimeNsec = 9,
    kQueryMessage = 10,
    kResponseTimeSec = 12,
    kResponseTimeNsec = 13,
    kResponseMessage = 14,
};

// socket_family and the peer's address and port, in the query or response fields.
void peer_fields(Protobuf& m, const sockaddr* peer, bool is_client) {
    if (!peer || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)) return;
    bool v6 = peer->sa_family == AF_INET6;
    m.number(kSocketFamily, v6 ? 2 : 1);
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(peer);
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer);
    std::span<const uint8_t> addr =
        v6 ? std::span<const uint8_t>(in6->sin6_addr.s6_addr, 16)
           : std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&in4->sin_addr), 4);
    uint16_t port = ntohs(v6 ? in6->sin6_port : in4->sin_port);
    m.bytes(is_client ? kQueryAddress : kResponseAddress, addr);
    m.number(is_client ? kQueryPort : kResponsePort, port);
}

}  // namespace

DnstapProtocol dnstap_protocol(ClientTransport t) {
    switch (t) {
        case ClientTransport::udp:
            return DnstapProtocol::udp;
        case ClientTransport::tcp:
            return DnstapProtocol::tcp;
        case ClientTransport::dot:
            return DnstapProtocol::dot;
        case ClientTransport::doh:
            return DnstapProtocol::doh;
    }
    return DnstapProtocol::udp;
}

int64_t dnstap_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<uint8_t> encode_dnstap(const DnstapEvent& e, std::string_view identity,
                                   std::string_view version) {
    bool client = e.type == DnstapType::client_query || e.type == DnstapType::client_response;
    bool response =
        e.type == DnstapType::client_response || e.type == DnstapType::resolver_response;
    Protobuf m;
    m.number(kType, static_cast<uint8_t>(e.type));
    peer_fields(m, e.peer, client);
    m.number(kSocketProtocol, static_cast<uint8_t>(e.protocol));
    m.number(kQueryTimeSec, static_cast<uint64_t>(e.query_time_ns / 1'000'000'000));
    m.fixed32(kQueryTimeNsec, static_cast<uint32_t>(e.query_time_ns % 1'000'000'000));
    if (response) {
        m.number(kResponseTimeSec, static_cast<uint64_t>(e.response_time_ns / 1'000'000'000));
        m.fixed32(kResponseTimeNsec, static_cast<uint32_t>(e.response_time_ns % 1'000'000'000));
    }
    m.bytes(response ? kResponseMessage : kQueryMessage, e.message);
    // dnstap.Dnstap: identity (1), version (2), message (14), type (15) = MESSAGE (1).
    Protobuf d;
    if (!identity.empty()) d.bytes(1, text_bytes(identity));
    if (!version.empty()) d.bytes(2, text_bytes(version));
    d.bytes(14, m.out());
    d.number(15, 1);
    return std::move(d.out());
}

Dnstap::Dnstap(DnstapSettings s, std::size_t workers, std::string version)
    : settings_(std::move(s)),
      version_(std::move(version)),
      id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {
    fstrm_unix_writer_options* uw = fstrm_unix_writer_options_init();
    fstrm_unix_writer_options_set_socket_path(uw, settings_.socket.c_str());
    fstrm_writer_options* wo = fstrm_writer_options_init();
    fstrm_writer_options_add_content_type(wo, kContentType, std::strlen(kContentType));
    fstrm_writer* writer = fstrm_unix_writer_init(uw, wo);
    fstrm_unix_writer_options_destroy(&uw);
    fstrm_writer_options_destroy(&wo);
    if (!writer) throw std::runtime_error("dnstap: cannot use socket " + settings_.socket);
    fstrm_iothr_options* io = fstrm_iothr_options_init();
    // One single-producer queue per worker (and a spare): no lock between workers.
    fstrm_iothr_options_set_queue_model(io, FSTRM_IOTHR_QUEUE_MODEL_SPSC);
    fstrm_iothr_options_set_num_input_queues(io, static_cast<unsigned>(workers + 1));
    fstrm_iothr_options_set_input_queue_size(io, static_cast<unsigned>(settings_.queue));
    fstrm_iothr_options_set_reopen_interval(io, 1);  // a reader that starts later is found soon
    iothr_ = fstrm_iothr_init(io, &writer);
    fstrm_iothr_options_destroy(&io);
    if (!iothr_) {
        fstrm_writer_destroy(&writer);
        throw std::runtime_error("dnstap: cannot start the Frame Streams I/O thread");
    }
}

Dnstap::~Dnstap() {
    fstrm_iothr_destroy(&iothr_);
}

void Dnstap::write(const DnstapEvent& e) {
    // This thread's queue of this Dnstap (the id tells a later Dnstap from an earlier one).
    thread_local uint64_t t_owner = 0;
    thread_local fstrm_iothr_queue* t_queue = nullptr;
    if (t_owner != id_) {
        t_queue = fstrm_iothr_get_input_queue(iothr_);
        t_owner = id_;
    }
    if (!t_queue) {  // more writing threads than queues
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    std::vector<uint8_t> frame = encode_dnstap(e, settings_.identity, version_);
    // fstrm takes the buffer and frees it with free() once written.
    void* buf = std::malloc(frame.size());
    if (!buf) return;
    std::memcpy(buf, frame.data(), frame.size());
    if (fstrm_iothr_submit(iothr_, t_queue, buf, frame.size(), fstrm_free_wrapper, nullptr) !=
        fstrm_res_success) {
        std::free(buf);
        dropped_.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace port53::server
