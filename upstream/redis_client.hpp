// The shared store on Redis (Debian's redis-server), through hiredis's asynchronous API on
// the workers' own io_contexts: one connection per worker thread, opened on its first use and
// reopened with backoff when it fails. Nothing here ever blocks a worker: a lookup waits at
// most `timeout`, a write is queued or dropped.
#pragma once
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "upstream/shared_store.hpp"

namespace port53::upstream {

struct RedisSettings {
    bool enabled = false;
    std::string address = "127.0.0.1:6379";  // "ip:port", or the path of a Unix socket
    std::string prefix = "port53";
    std::chrono::milliseconds timeout{30};
    uint32_t max_pending_writes = 1000;  // per worker
};

// Throws std::invalid_argument unless `address` is "ip:port" ("[v6]:port") or an absolute
// socket path: what redis.address may say (checked when the configuration is read).
void check_redis_address(const std::string& address);

class RedisClient final : public SharedStore {
  public:
    // Throws std::invalid_argument for an address that is neither "ip:port" nor a path.
    explicit RedisClient(RedisSettings settings);
    ~RedisClient() override;
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // Opens this thread's connection on `ex` (its worker's io_context) now, so the first
    // questions find it connected; run on each worker as it starts.
    void open_here(const boost::asio::any_io_executor& ex);
    base::awaitable<StoreReply> get(std::string key) override;
    bool put(const std::string& key, const std::string& value, uint32_t ttl) override;
    const std::string& prefix() const override { return settings_.prefix; }
    const RedisSettings& settings() const { return settings_; }
    // Closes every connection; called once the workers have stopped, while their io_contexts
    // still exist (the connections' descriptors are registered there).
    void close();

    class Connection;

  private:
    Connection* own();  // this thread's connection, if it has made one

    RedisSettings settings_;
    uint64_t id_;       // tells this client's thread-local connections from an earlier one's
    std::mutex mutex_;  // taken to add a connection (once per worker) and to close them
    std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace port53::upstream
