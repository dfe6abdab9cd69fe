#include "tools/loadgen/stream_sender.hpp"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "tools/loadgen/account.hpp"
#include "tools/loadgen/id_table.hpp"
#include "tools/loadgen/tls_client.hpp"
#include "wire/types.hpp"

namespace port53::loadgen {

namespace {

constexpr std::size_t kInSize =
    std::size_t{2} * (65535 + 2);   // at least one whole frame, plus a read
constexpr uint64_t kMaxFill = 256;  // queries queued per connection per round
constexpr uint64_t kExpireEveryNs = 1'000'000;
constexpr uint64_t kRetryNs = 100'000'000;  // before reopening after a failure
constexpr unsigned kMaxFailures = 3;        // failed opens in a row: the connection is given up
// DoT: a thread's first connection opens at once, the others once a session ticket has come
// (so that they resume, as a client's later connections would), or this long after the first
// handshake completed (a server that sends no ticket), or once the first connection failed.
// Counted from the handshake, not the start: on a busy machine (CI, a sanitized build) the
// first handshake alone has taken most of a second.
constexpr uint64_t kTicketWaitNs = 1'000'000'000;

struct Conn {
    enum class State { closed, connecting, handshaking, ready, dead };
    Conn(uint32_t seed, std::size_t q) : ids(seed, q), in(kInSize) {}
    int fd = -1;
    SSL* ssl = nullptr;
    State state = State::closed;
    IdTable ids;
    std::vector<uint8_t> out;  // framed queries not yet written
    std::size_t out_off = 0;
    std::vector<uint8_t> in;
    std::size_t in_len = 0;
    unsigned failures = 0;
    uint64_t retry_at = 0;
};

class StreamSender {
  public:
    StreamSender(const Config& cfg, const QuerySet& queries, QueryFeed& feed, unsigned n,
                 TlsClient* tls, uint64_t start_ns, unsigned index);
    ~StreamSender();
    StreamSender(const StreamSender&) = delete;
    StreamSender& operator=(const StreamSender&) = delete;
    Stats run();

  private:
    void open(std::size_t i, uint64_t now);
    void on_event(std::size_t i, uint32_t events);
    void connected(Conn& c);
    void handshake(Conn& c);
    uint64_t fill(Conn& c, uint64_t n, uint64_t now);
    uint64_t fill_round(uint64_t now);
    void flush(Conn& c);
    void read_all(Conn& c);
    void parse(Conn& c, uint64_t now);
    void close(Conn& c, bool failed);
    void wait(bool sending, uint64_t sent_now, uint64_t now);
    bool sending(uint64_t now) const;
    std::size_t outstanding() const;
    bool all_dead() const;
    bool may_open(std::size_t i, uint64_t now);

    const Config& cfg_;
    const QuerySet& queries_;
    QueryFeed& feed_;
    TlsClient* tls_;
    RateGate gate_;
    std::vector<std::unique_ptr<Conn>> conns_;
    int epoll_ = -1;
    Stats stats_;
    std::vector<uint64_t> carry_;  // query numbers taken from the feed, not yet queued
    std::size_t next_conn_ = 0;
    uint64_t first_ready_ns_ = 0;  // when a TLS handshake first completed
};

StreamSender::StreamSender(const Config& cfg, const QuerySet& queries, QueryFeed& feed, unsigned n,
                           TlsClient* tls, uint64_t start_ns, unsigned index)
    : cfg_(cfg),
      queries_(queries),
      feed_(feed),
      tls_(tls),
      gate_(cfg.rate / cfg.threads + (index < cfg.rate % cfg.threads ? 1 : 0), start_ns) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    for (unsigned i = 0; i < n; ++i) {
        auto seed = static_cast<uint32_t>(now_ns() ^ (uint64_t{index} * 7919u + i));
        conns_.push_back(std::make_unique<Conn>(seed, cfg.outstanding));
    }
}

StreamSender::~StreamSender() {
    for (auto& c : conns_) {
        if (c->ssl) SSL_free(c->ssl);
        if (c->fd >= 0) ::close(c->fd);
    }
    if (epoll_ >= 0) ::close(epoll_);
}

std::size_t StreamSender::outstanding() const {
    std::size_t n = 0;
    for (const auto& c : conns_) n += c->ids.outstanding();
    return n;
}

bool StreamSender::all_dead() const {
    return std::all_of(conns_.begin(), conns_.end(),
                       [](const auto& c) { return c->state == Conn::State::dead; });
}

bool StreamSender::may_open(std::size_t i, uint64_t now) {
    const Conn& c = *conns_[i];
    if (c.state != Conn::State::closed || now < c.retry_at) return false;
    if (!tls_ || i == 0 || tls_->has_session()) return true;
    const Conn& first = *conns_[0];
    if (first.state == Conn::State::dead || first.failures > 0) return true;
    return first_ready_ns_ != 0 && now >= first_ready_ns_ + kTicketWaitNs;
}

bool StreamSender::sending(uint64_t now) const {
    return !feed_.done(now) || (!carry_.empty() && !feed_.expired(now));
}

// A non-blocking connect; the rest follows from epoll (edge-triggered: every handler
// reads or writes until the kernel says "again").
void StreamSender::open(std::size_t i, uint64_t now) {
    Conn& c = *conns_[i];
    c.fd = socket(cfg_.server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool ok = c.fd >= 0;
    if (ok && cfg_.local_len) {
        ok = bind(c.fd, reinterpret_cast<const sockaddr*>(&cfg_.local), cfg_.local_len) == 0;
    }
    if (ok) {
        int r = connect(c.fd, reinterpret_cast<const sockaddr*>(&cfg_.server), cfg_.server_len);
        ok = r == 0 || errno == EINPROGRESS;
    }
    if (!ok) {
        close(c, true);
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ev.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    c.state = Conn::State::connecting;
    c.retry_at = now;
}

void StreamSender::connected(Conn& c) {
    ++stats_.connections;
    if (!tls_) {
        c.state = Conn::State::ready;
        c.failures = 0;
        return;
    }
    c.ssl = tls_->connect(c.fd);
    if (!c.ssl) {
        close(c, true);
        return;
    }
    c.state = Conn::State::handshaking;
    handshake(c);
}

void StreamSender::handshake(Conn& c) {
    int r = SSL_connect(c.ssl);
    if (r == 1) {
        c.state = Conn::State::ready;
        c.failures = 0;
        if (first_ready_ns_ == 0) first_ready_ns_ = now_ns();
        stats_.tls_resumed += SSL_session_reused(c.ssl) ? 1 : 0;
        return;
    }
    int e = SSL_get_error(c.ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) close(c, true);
}

void StreamSender::on_event(std::size_t i, uint32_t events) {
    Conn& c = *conns_[i];
    if (c.state == Conn::State::connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            close(c, true);
            return;
        }
        if (!(events & EPOLLOUT)) return;
        connected(c);
    } else if (c.state == Conn::State::handshaking) {
        handshake(c);
    }
    if (c.state == Conn::State::ready) {
        flush(c);
        if (c.state == Conn::State::ready) read_all(c);
    }
}

// Up to n queries (a failed connection's leftovers first, then the feed's) framed into the
// connection's output, each with a free ID.
uint64_t StreamSender::fill(Conn& c, uint64_t n, uint64_t now) {
    uint64_t numbers[kMaxFill];
    uint64_t m = 0;
    for (; m < n && !carry_.empty(); ++m) {
        numbers[m] = carry_.back();
        carry_.pop_back();
    }
    uint64_t first = 0;
    uint64_t got = feed_.take(n - m, now, first);
    for (uint64_t k = 0; k < got; ++k) numbers[m++] = first + k;
    for (uint64_t k = 0; k < m; ++k) {
        uint32_t q = feed_.query_of(numbers[k]);
        auto id = c.ids.acquire(q, now);
        if (!id) {
            carry_.insert(carry_.end(), numbers + k, numbers + m);
            return k;
        }
        auto bytes = queries_.query(q);
        std::size_t at = c.out.size();
        c.out.resize(at + 2 + bytes.size());
        wire::store16(c.out.data() + at, static_cast<uint16_t>(bytes.size()));
        std::memcpy(c.out.data() + at + 2, bytes.data(), bytes.size());
        wire::store16(c.out.data() + at + 2, *id);
        stats_.request_bytes += bytes.size();
        ++stats_.sent;
    }
    return m;
}

// Each ready connection gets as many new queries as it has room for, within the rate,
// then one write of them all (pipelined).
uint64_t StreamSender::fill_round(uint64_t now) {
    uint64_t budget = gate_.budget(now, stats_.sent);
    uint64_t total = 0;
    for (std::size_t k = 0; k < conns_.size() && budget > 0; ++k) {
        Conn& c = *conns_[(next_conn_ + k) % conns_.size()];
        std::size_t out = c.ids.outstanding();
        if (c.state != Conn::State::ready || out >= cfg_.outstanding) continue;
        uint64_t n = fill(c, std::min<uint64_t>({cfg_.outstanding - out, budget, kMaxFill}), now);
        budget -= n;
        total += n;
        if (n) flush(c);
    }
    next_conn_ = (next_conn_ + 1) % conns_.size();
    return total;
}

void StreamSender::flush(Conn& c) {
    while (c.out_off < c.out.size()) {
        std::size_t left = c.out.size() - c.out_off;
        const uint8_t* p = c.out.data() + c.out_off;
        ssize_t n = 0;
        if (c.ssl) {
            n = SSL_write(c.ssl, p, static_cast<int>(std::min<std::size_t>(left, 1 << 20)));
            if (n <= 0) {
                int e = SSL_get_error(c.ssl, static_cast<int>(n));
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return;
                close(c, true);
                return;
            }
        } else {
            n = send(c.fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                close(c, true);
                return;
            }
        }
        c.out_off += static_cast<std::size_t>(n);
    }
    c.out.clear();
    c.out_off = 0;
}

void StreamSender::read_all(Conn& c) {
    for (;;) {
        uint8_t* p = c.in.data() + c.in_len;
        std::size_t room = c.in.size() - c.in_len;
        ssize_t n = 0;
        if (c.ssl) {
            n = SSL_read(c.ssl, p, static_cast<int>(room));
            if (n <= 0) {
                int e = SSL_get_error(c.ssl, static_cast<int>(n));
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                close(c, c.ids.outstanding() > 0);  // the server closed (or failed)
                return;
            }
        } else {
            n = recv(c.fd, p, room, MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            if (n <= 0) {
                close(c, c.ids.outstanding() > 0);
                return;
            }
        }
        c.in_len += static_cast<std::size_t>(n);
        parse(c, now_ns());
    }
}

// Whole frames out of the input buffer; a partial one stays for the next read.
void StreamSender::parse(Conn& c, uint64_t now) {
    std::size_t off = 0;
    while (c.in_len - off >= 2) {
        std::size_t len = wire::load16(c.in.data() + off);
        if (c.in_len - off - 2 < len) break;
        account_response({c.in.data() + off + 2, len}, c.ids, queries_, stats_, now);
        off += 2 + len;
    }
    if (off) {
        std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
        c.in_len -= off;
    }
}

// Queries in flight on a closed connection are lost (RFC 7766 §6.2.1.1: a client may
// retry them elsewhere; a load generator counts them). `failed`: an open that did not
// succeed or a connection that broke with queries in flight.
void StreamSender::close(Conn& c, bool failed) {
    stats_.lost += c.ids.expire(UINT64_MAX);
    if (c.ssl) SSL_free(c.ssl);
    c.ssl = nullptr;
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.out.clear();
    c.out_off = 0;
    c.in_len = 0;
    c.state = Conn::State::closed;
    if (!failed) return;
    ++stats_.connection_errors;
    c.retry_at = now_ns() + kRetryNs;
    if (++c.failures >= kMaxFailures) c.state = Conn::State::dead;
}

void StreamSender::wait(bool sending, uint64_t sent_now, uint64_t now) {
    uint64_t wait = 1'000'000;
    if (sending && sent_now > 0) wait = 0;
    if (sending && cfg_.rate) wait = std::min(wait, gate_.wait_ns(now, stats_.sent));
    timespec ts{0, static_cast<long>(wait)};
    epoll_event evs[64];
    int n = epoll_pwait2(epoll_, evs, 64, &ts, nullptr);
    for (int i = 0; i < n; ++i) on_event(evs[i].data.u64, evs[i].events);
}

Stats StreamSender::run() {
    uint64_t last_expire = now_ns();
    for (;;) {
        uint64_t now = now_ns();
        bool more = sending(now);
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            if (more && may_open(i, now)) open(i, now);
        }
        uint64_t sent_now = more ? fill_round(now) : 0;
        if ((!more && outstanding() == 0) || all_dead()) break;
        wait(more, sent_now, now);
        if (now - last_expire >= kExpireEveryNs) {
            last_expire = now;
            for (auto& c : conns_) stats_.lost += c->ids.expire(now - cfg_.timeout_ns);
        }
    }
    return stats_;
}

}  // namespace

Stats run_stream_sender(const Config& cfg, const QuerySet& queries, QueryFeed& feed,
                        unsigned connections, TlsClient* tls, uint64_t start_ns, unsigned index) {
    StreamSender sender(cfg, queries, feed, connections, tls, start_ns, index);
    return sender.run();
}

}  // namespace port53::loadgen
