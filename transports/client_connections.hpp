// Open stream connections per client address (TCP, DoT, DoH): one client cannot take
// all the connection slots. Shared by all workers; a mutex guards a small map.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace port53::transports {

class ClientConnections {
  public:
    explicit ClientConnections(std::size_t per_client) : per_client_(per_client) {}
    // False (and nothing counted) when the client already has its share.
    bool acquire(const sockaddr* client);
    void release(const sockaddr* client);

  private:
    static std::string key(const sockaddr* client);
    std::size_t per_client_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::size_t> open_;
};

// Holds one slot for a connection's lifetime.
class ClientSlot {
  public:
    ClientSlot(ClientConnections& c, const sockaddr* client);
    ~ClientSlot();
    ClientSlot(const ClientSlot&) = delete;
    ClientSlot& operator=(const ClientSlot&) = delete;
    bool held() const { return held_; }

  private:
    ClientConnections& connections_;
    sockaddr_storage client_{};
    bool held_;
};

// Counts a connection for as long as it lives (and holds its client's share, if any).
class ConnectionSlot {
  public:
    explicit ConnectionSlot(std::atomic<std::size_t>& count) : count_(count) { ++count_; }
    ~ConnectionSlot() { --count_; }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    std::unique_ptr<ClientSlot> client;

  private:
    std::atomic<std::size_t>& count_;
};

}  // namespace port53::transports
