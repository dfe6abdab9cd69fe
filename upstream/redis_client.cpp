#include "upstream/redis_client.hpp"

#include <arpa/inet.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <optional>
#include <stdexcept>

#include "base/log.hpp"

namespace port53::upstream {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<uint64_t> g_next_client{1};

// Lookups one connection may have waiting for Redis; beyond them a lookup is skipped at
// once (Redis is too slow to help, and hiredis would queue without bound).
constexpr std::size_t kMaxWaitingLookups = 256;
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

struct Target {
    std::string host;  // an IP address, or a socket path when port is 0
    int port = 0;
};

Target parse_address(const std::string& address) {
    if (!address.empty() && address.front() == '/') return {address, 0};
    auto colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw std::invalid_argument("redis.address must be \"ip:port\" or a socket path");
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    // An IP literal: hiredis would resolve a host name with a blocking getaddrinfo on the
    // worker.
    std::array<unsigned char, 16> ip{};
    if (inet_pton(AF_INET, host.c_str(), ip.data()) != 1 &&
        inet_pton(AF_INET6, host.c_str(), ip.data()) != 1)
        throw std::invalid_argument("redis.address must be an IP address and port: " + address);
    int port = 0;
    for (char c : address.substr(colon + 1)) {
        if (c < '0' || c > '9' || port > 65535)
            throw std::invalid_argument("redis.address has a bad port: " + address);
        port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535)
        throw std::invalid_argument("redis.address has a bad port: " + address);
    return {host, port};
}

}  // namespace

// One worker's connection. hiredis drives the protocol; this adapter tells it when its
// socket is readable or writable (hiredis async.h's ev hooks, like its libevent adapter),
// waiting on the worker's io_context. Used by its own thread only.
class RedisClient::Connection {
  public:
    Connection(asio::any_io_executor ex, const RedisSettings& s, Target target)
        : ex_(std::move(ex)), settings_(s), target_(std::move(target)), retry_(ex_) {
        connect();
    }
    ~Connection() { close(); }  // close() throws nothing: its cancel takes an error_code
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    base::awaitable<StoreReply> get(const std::string& key);  // awaited: the caller keeps it
    bool put(const std::string& key, const std::string& value, uint32_t ttl);
    void close();

  private:
    struct Waiting {
        explicit Waiting(const asio::any_io_executor& ex) : timer(ex) {}
        asio::steady_timer timer;
        std::optional<StoreReply> reply;
        bool abandoned = false;  // timed out, its reply still to come
    };

    void connect();
    void lost();  // the context is gone (hiredis freed it): try again later
    void arm(bool write);
    void reset_if_stalled();
    static Connection& of(const redisAsyncContext* ac) {
        return *static_cast<Connection*>(ac->data);
    }
    // hiredis's hooks (async.h ev.*), privdata: the Connection.
    static void add_read(void* p) { static_cast<Connection*>(p)->want(false, true); }
    static void del_read(void* p) { static_cast<Connection*>(p)->want_read_ = false; }
    static void add_write(void* p) { static_cast<Connection*>(p)->want(true, true); }
    static void del_write(void* p) { static_cast<Connection*>(p)->want_write_ = false; }
    static void cleanup(void* p);
    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_disconnect(const redisAsyncContext* ac, int status);
    static void on_get(redisAsyncContext* ac, void* reply, void*);
    static void on_put(redisAsyncContext* ac, void* reply, void* id);
    void want(bool write, bool on);

    asio::any_io_executor ex_;
    const RedisSettings& settings_;
    Target target_;
    asio::steady_timer retry_;
    std::chrono::milliseconds backoff_ = kFirstBackoff;
    redisAsyncContext* ac_ = nullptr;  // hiredis owns it; it frees it on a disconnect
    std::optional<asio::posix::stream_descriptor> fd_;
    uint64_t epoch_ = 0;  // bumped per context: waits armed for an older one are stale
    bool connected_ = false, closing_ = false;
    bool want_read_ = false, want_write_ = false, reading_ = false, writing_ = false;
    // Lookups sent, oldest first: Redis answers a connection's commands in order (RESP), so
    // each GET reply is the front one's. One timed out stays until its reply, unwaited for.
    std::deque<std::shared_ptr<Waiting>> lookups_;
    std::size_t writes_out_ = 0;
    Clock::time_point progress_ = Clock::now();  // the last reply, or the first send after none
};

void RedisClient::Connection::connect() {
    if (closing_ || ac_) return;
    redisAsyncContext* ac = target_.port == 0
                                ? redisAsyncConnectUnix(target_.host.c_str())
                                : redisAsyncConnect(target_.host.c_str(), target_.port);
    if (!ac || ac->err) {
        if (ac) redisAsyncFree(ac);
        lost();
        return;
    }
    ac_ = ac;
    ++epoch_;
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    fd_.emplace(ex_, ac->c.fd);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    // The non-blocking connect completes when the socket turns writable.
    want(true, true);
}

void RedisClient::Connection::lost() {
    ac_ = nullptr;
    connected_ = false;
    if (closing_) return;
    retry_.expires_after(backoff_);
    backoff_ =
        std::min(backoff_ * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
    retry_.async_wait([this](boost::system::error_code ec) {
        if (!ec) connect();
    });
}

void RedisClient::Connection::want(bool write, bool on) {
    (write ? want_write_ : want_read_) = on;
    if (on) arm(write);
}

void RedisClient::Connection::arm(bool write) {
    bool& busy = write ? writing_ : reading_;
    if (busy || !fd_) return;
    busy = true;
    auto what =
        write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read;
    fd_->async_wait(what, [this, write, epoch = epoch_](boost::system::error_code ec) {
        if (epoch != epoch_) return;  // for a context gone since
        (write ? writing_ : reading_) = false;
        if (ec || !ac_ || !(write ? want_write_ : want_read_)) return;
        // hiredis may free the context inside (a disconnect): then cleanup() bumped epoch_.
        if (write)
            redisAsyncHandleWrite(ac_);
        else
            redisAsyncHandleRead(ac_);
        if (epoch == epoch_ && (write ? want_write_ : want_read_)) arm(write);
    });
}

void RedisClient::Connection::cleanup(void* p) {
    auto& c = *static_cast<Connection*>(p);
    ++c.epoch_;
    c.want_read_ = c.want_write_ = c.reading_ = c.writing_ = false;
    // hiredis closes the socket itself: hand it back without closing (cancels the waits).
    if (c.fd_) {
        boost::system::error_code ec;
        c.fd_->cancel(ec);
        c.fd_->release();
        c.fd_.reset();
    }
}

void RedisClient::Connection::on_connect(const redisAsyncContext* ac, int status) {
    Connection& c = of(ac);
    if (status != REDIS_OK) {
        P53_LOG(debug, "redis: cannot connect to " << c.settings_.address << ": " << ac->errstr);
        c.lost();  // hiredis frees the context after this returns
        return;
    }
    c.connected_ = true;
    c.backoff_ = kFirstBackoff;
    c.progress_ = Clock::now();
    P53_LOG(info, "redis: connected to " << c.settings_.address);
}

void RedisClient::Connection::on_disconnect(const redisAsyncContext* ac, int status) {
    Connection& c = of(ac);
    if (c.connected_ && !c.closing_)
        P53_LOG(info, "redis: connection to " << c.settings_.address << " lost"
                                              << (status == REDIS_OK ? "" : ": ") << ac->errstr);
    if (c.ac_ == ac) c.lost();
}

void RedisClient::Connection::on_get(redisAsyncContext* ac, void* r, void*) {
    Connection& c = of(ac);
    c.progress_ = Clock::now();
    if (c.lookups_.empty()) return;
    std::shared_ptr<Waiting> w = std::move(c.lookups_.front());
    c.lookups_.pop_front();
    auto* reply = static_cast<redisReply*>(r);
    StoreReply got;
    if (!reply) {
        got.status = StoreReply::Status::error;  // the connection went
    } else if (reply->type == REDIS_REPLY_NIL) {
        got.status = StoreReply::Status::miss;
    } else if (reply->type == REDIS_REPLY_STRING) {
        got.status = StoreReply::Status::hit;
        got.value.assign(reply->str, reply->len);
    }  // else an error reply, or not a value: error
    w->reply = std::move(got);
    boost::system::error_code ec;
    w->timer.cancel(ec);  // wakes the lookup, if it still waits
}

void RedisClient::Connection::on_put(redisAsyncContext* ac, void*, void*) {
    Connection& c = of(ac);
    --c.writes_out_;
    c.progress_ = Clock::now();
}

void RedisClient::Connection::reset_if_stalled() {
    // Connected but silent for many timeouts (a blackholed or hung Redis): start afresh,
    // so what waits is failed now and later lookups wait on a connection that may answer.
    auto stall = std::max<Clock::duration>(settings_.timeout * 10, std::chrono::milliseconds(500));
    if (!ac_ || lookups_.size() + writes_out_ == 0 || Clock::now() - progress_ < stall) return;
    P53_LOG(info, "redis: " << settings_.address << " stopped answering; reconnecting");
    redisAsyncContext* ac = ac_;
    redisAsyncFree(ac);  // fails what waits (callbacks with no reply), then on_disconnect
    if (ac_ == ac) lost();
}

base::awaitable<StoreReply> RedisClient::Connection::get(const std::string& key) {
    if (!connected_ || !ac_ || lookups_.size() >= kMaxWaitingLookups) co_return StoreReply{};
    // Replies come in order: behind a lookup that timed out unanswered, this one would wait
    // longer still. Skip at once (a hung Redis costs one timeout, not one per question).
    if (!lookups_.empty() && lookups_.front()->abandoned) {
        reset_if_stalled();
        co_return StoreReply{StoreReply::Status::timeout, {}};
    }
    std::array<const char*, 2> argv{"GET", key.data()};
    std::array<std::size_t, 2> lens{3, key.size()};
    if (lookups_.size() + writes_out_ == 0) progress_ = Clock::now();
    if (redisAsyncCommandArgv(ac_, on_get, nullptr, 2, argv.data(), lens.data()) != REDIS_OK)
        co_return StoreReply{};
    auto w = std::make_shared<Waiting>(ex_);
    lookups_.push_back(w);
    w->timer.expires_after(settings_.timeout);
    boost::system::error_code ec;
    co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (w->reply) co_return std::move(*w->reply);
    w->abandoned = true;
    reset_if_stalled();
    co_return StoreReply{StoreReply::Status::timeout, {}};
}

bool RedisClient::Connection::put(const std::string& key, const std::string& value, uint32_t ttl) {
    if (!connected_ || !ac_ || writes_out_ >= settings_.max_pending_writes) return false;
    std::string seconds = std::to_string(std::max<uint32_t>(ttl, 1));
    std::array<const char*, 5> argv{"SET", key.data(), value.data(), "EX", seconds.data()};
    std::array<std::size_t, 5> lens{3, key.size(), value.size(), 2, seconds.size()};
    if (lookups_.size() + writes_out_ == 0) progress_ = Clock::now();
    if (redisAsyncCommandArgv(ac_, on_put, nullptr, 5, argv.data(), lens.data()) != REDIS_OK)
        return false;
    ++writes_out_;
    return true;
}

void RedisClient::Connection::close() {
    closing_ = true;
    boost::system::error_code ec;
    retry_.cancel(ec);
    if (redisAsyncContext* ac = ac_) redisAsyncFree(ac);  // calls back what waits, then cleanup
    ac_ = nullptr;
    connected_ = false;
}

void check_redis_address(const std::string& address) {
    parse_address(address);
}

RedisClient::RedisClient(RedisSettings settings)
    : settings_(std::move(settings)), id_(g_next_client.fetch_add(1)) {
    parse_address(settings_.address);  // throws now, not on a worker
}

RedisClient::~RedisClient() {
    close();
}

void RedisClient::close() {
    std::lock_guard lock(mutex_);
    connections_.clear();
}

namespace {
// This thread's connection, and the client it belongs to (a later client's id differs).
thread_local uint64_t t_owner = 0;
thread_local RedisClient::Connection* t_connection = nullptr;
}  // namespace

RedisClient::Connection* RedisClient::own() {
    return t_owner == id_ ? t_connection : nullptr;
}

void RedisClient::open_here(const asio::any_io_executor& ex) {
    if (t_owner == id_) return;
    std::lock_guard lock(mutex_);
    connections_.push_back(
        std::make_unique<Connection>(ex, settings_, parse_address(settings_.address)));
    t_connection = connections_.back().get();
    t_owner = id_;
}

base::awaitable<StoreReply> RedisClient::get(std::string key) {
    // A thread no worker start opened a connection on: its own, from now on.
    if (t_owner != id_) open_here(co_await asio::this_coro::executor);
    co_return co_await t_connection->get(key);
}

bool RedisClient::put(const std::string& key, const std::string& value, uint32_t ttl) {
    Connection* c = own();
    return c && c->put(key, value, ttl);
}

}  // namespace port53::upstream
