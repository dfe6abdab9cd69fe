#include "tools/loadgen/udp_sender.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tools/loadgen/account.hpp"
#include "tools/loadgen/id_table.hpp"
#include "wire/types.hpp"

namespace port53::loadgen {

namespace {

constexpr unsigned kBatch = 64;          // datagrams per sendmmsg/recvmmsg
constexpr std::size_t kRecvSize = 4096;  // enough for the header and question we read
constexpr uint64_t kExpireEveryNs = 1'000'000;
constexpr int kSocketBuffer = 4 << 20;

struct UdpSocket {
    int fd;
    IdTable ids;
};

class UdpSender {
  public:
    UdpSender(const Config& cfg, const QuerySet& queries, QueryFeed& feed,
              const std::vector<int>& fds, uint64_t start_ns, unsigned index);
    ~UdpSender();
    UdpSender(const UdpSender&) = delete;
    UdpSender& operator=(const UdpSender&) = delete;

    Stats run();

  private:
    std::size_t prepare(UdpSocket& s, uint64_t n, uint64_t now);
    uint64_t send_on(UdpSocket& s, uint64_t n, uint64_t now);
    void receive_on(UdpSocket& s);
    uint64_t send_round(uint64_t now);
    void wait(bool sending, uint64_t sent_now, uint64_t now);
    std::size_t outstanding() const;

    const Config& cfg_;
    const QuerySet& queries_;
    QueryFeed& feed_;
    RateGate gate_;
    std::vector<std::unique_ptr<UdpSocket>> sockets_;
    int epoll_ = -1;
    Stats stats_;
    std::vector<uint8_t> send_buf_;
    std::vector<uint8_t> recv_buf_;
    mmsghdr msgs_[kBatch]{};
    iovec iov_[kBatch]{};
    uint16_t ids_[kBatch]{};
    uint64_t numbers_[kBatch]{};
    std::vector<uint64_t> carry_;  // query numbers taken from the feed but not sent yet
    std::size_t next_socket_ = 0;
};

UdpSender::UdpSender(const Config& cfg, const QuerySet& queries, QueryFeed& feed,
                     const std::vector<int>& fds, uint64_t start_ns, unsigned index)
    : cfg_(cfg),
      queries_(queries),
      feed_(feed),
      gate_(cfg.rate / cfg.threads + (index < cfg.rate % cfg.threads ? 1 : 0), start_ns),
      send_buf_(kBatch * queries.max_size()),
      recv_buf_(kBatch * kRecvSize) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < fds.size(); ++i) {
        sockets_.push_back(std::make_unique<UdpSocket>(UdpSocket{
            fds[i], IdTable(static_cast<uint32_t>(now_ns() ^ (uint64_t{index} * 7919u + i)),
                            cfg.outstanding)}));
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, fds[i], &ev);
    }
}

UdpSender::~UdpSender() {
    for (auto& s : sockets_) close(s->fd);
    if (epoll_ >= 0) close(epoll_);
}

std::size_t UdpSender::outstanding() const {
    std::size_t n = 0;
    for (const auto& s : sockets_) n += s->ids.outstanding();
    return n;
}

// Up to n query numbers (those a failed send left over first, then the feed's), each
// stamped with a free ID into msgs_; returns how many.
std::size_t UdpSender::prepare(UdpSocket& s, uint64_t n, uint64_t now) {
    std::size_t m = 0;
    for (; m < n && !carry_.empty(); ++m) {
        numbers_[m] = carry_.back();
        carry_.pop_back();
    }
    uint64_t first = 0;
    uint64_t got = feed_.take(n - m, now, first);
    for (uint64_t k = 0; k < got; ++k) numbers_[m++] = first + k;
    for (std::size_t k = 0; k < m; ++k) {
        uint32_t q = feed_.query_of(numbers_[k]);
        auto id = s.ids.acquire(q, now);
        if (!id) {  // all 65536 IDs in flight: the rest waits
            carry_.insert(carry_.end(), numbers_ + k, numbers_ + m);
            return k;
        }
        auto bytes = queries_.query(q);
        uint8_t* buf = send_buf_.data() + k * queries_.max_size();
        std::memcpy(buf, bytes.data(), bytes.size());
        port53::wire::store16(buf, *id);
        iov_[k] = {buf, bytes.size()};
        msgs_[k].msg_hdr = {};
        msgs_[k].msg_hdr.msg_iov = &iov_[k];
        msgs_[k].msg_hdr.msg_iovlen = 1;
        ids_[k] = *id;
    }
    return m;
}

// One sendmmsg of up to n queries; what the kernel did not take (full buffer, or an error
// such as a refused port reported from an earlier datagram) is taken back and sent later.
uint64_t UdpSender::send_on(UdpSocket& s, uint64_t n, uint64_t now) {
    std::size_t m = prepare(s, n, now);
    int sent = m ? sendmmsg(s.fd, msgs_, static_cast<unsigned>(m), MSG_DONTWAIT) : 0;
    if (sent < 0) {
        sent = 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) {
            // Anything else would fail again: these queries are dropped, not retried.
            ++stats_.send_errors;
            for (std::size_t k = 0; k < m; ++k) s.ids.undo(ids_[m - 1 - k]);
            return 0;
        }
    }
    for (std::size_t k = m; k-- > static_cast<std::size_t>(sent);) {
        s.ids.undo(ids_[k]);
        carry_.push_back(numbers_[k]);
    }
    for (int k = 0; k < sent; ++k) stats_.request_bytes += iov_[k].iov_len;
    stats_.sent += static_cast<uint64_t>(sent);
    return static_cast<uint64_t>(sent);
}

void UdpSender::receive_on(UdpSocket& s) {
    for (unsigned k = 0; k < kBatch; ++k) {
        iov_[k] = {recv_buf_.data() + k * kRecvSize, kRecvSize};
        msgs_[k].msg_hdr = {};
        msgs_[k].msg_hdr.msg_iov = &iov_[k];
        msgs_[k].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(s.fd, msgs_, kBatch, MSG_DONTWAIT, nullptr);
    if (got <= 0) return;  // EAGAIN, or a refused port reported on this connected socket
    uint64_t now = now_ns();
    for (int k = 0; k < got; ++k) {
        account_response({recv_buf_.data() + k * kRecvSize, msgs_[k].msg_len}, s.ids, queries_,
                         stats_, now);
    }
}

// One pass over the sockets (starting one further each time, so none is favoured):
// each gets as many new queries as it has room for, within the rate.
uint64_t UdpSender::send_round(uint64_t now) {
    uint64_t budget = gate_.budget(now, stats_.sent);
    uint64_t total = 0;
    for (std::size_t k = 0; k < sockets_.size() && budget > 0; ++k) {
        UdpSocket& s = *sockets_[(next_socket_ + k) % sockets_.size()];
        std::size_t out = s.ids.outstanding();
        if (out >= cfg_.outstanding) continue;
        uint64_t n = std::min<uint64_t>({cfg_.outstanding - out, budget, kBatch});
        uint64_t sent = send_on(s, n, now);
        budget -= sent;
        total += sent;
    }
    next_socket_ = (next_socket_ + 1) % sockets_.size();
    return total;
}

// Reads what has come back: without blocking if there is more to send now, else up to the
// next query due (fixed rate) or 1 ms.
void UdpSender::wait(bool sending, uint64_t sent_now, uint64_t now) {
    uint64_t wait = 1'000'000;
    if (sending && sent_now > 0) wait = 0;
    if (sending && cfg_.rate) wait = std::min(wait, gate_.wait_ns(now, stats_.sent));
    timespec ts{0, static_cast<long>(wait)};
    epoll_event evs[64];
    int n = epoll_pwait2(epoll_, evs, 64, &ts, nullptr);
    for (int i = 0; i < n; ++i) receive_on(*sockets_[evs[i].data.u64]);
}

Stats UdpSender::run() {
    uint64_t last_expire = now_ns();
    for (;;) {
        uint64_t now = now_ns();
        bool sending = !feed_.done(now) || (!carry_.empty() && !feed_.expired(now));
        uint64_t sent_now = sending ? send_round(now) : 0;
        if (!sending && outstanding() == 0) break;
        wait(sending, sent_now, now);
        if (now - last_expire >= kExpireEveryNs) {
            last_expire = now;
            for (auto& s : sockets_) stats_.lost += s->ids.expire(now - cfg_.timeout_ns);
        }
    }
    return stats_;
}

}  // namespace

std::vector<int> open_udp_sockets(const Config& cfg, unsigned n, std::string& error) {
    std::vector<int> fds;
    for (unsigned i = 0; i < n; ++i) {
        int fd = socket(cfg.server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        bool ok = fd >= 0;
        int size = kSocketBuffer;
        if (ok) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        }
        if (ok && cfg.local_len) {
            ok = bind(fd, reinterpret_cast<const sockaddr*>(&cfg.local), cfg.local_len) == 0;
        }
        ok = ok && connect(fd, reinterpret_cast<const sockaddr*>(&cfg.server), cfg.server_len) == 0;
        if (!ok) {
            error = std::string("UDP socket: ") + std::strerror(errno);
            if (fd >= 0) close(fd);
            for (int f : fds) close(f);
            return {};
        }
        fds.push_back(fd);
    }
    return fds;
}

Stats run_udp_sender(const Config& cfg, const QuerySet& queries, QueryFeed& feed,
                     const std::vector<int>& fds, uint64_t start_ns, unsigned index) {
    UdpSender sender(cfg, queries, feed, fds, start_ns, index);
    return sender.run();
}

}  // namespace port53::loadgen
