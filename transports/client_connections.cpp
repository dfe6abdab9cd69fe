#include "transports/client_connections.hpp"

#include <netinet/in.h>

#include <cstring>

namespace port53::transports {

std::string ClientConnections::key(const sockaddr* sa) {
    if (sa->sa_family == AF_INET)
        return std::string(
            reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr), 4);
    if (sa->sa_family == AF_INET6)
        return std::string(
            reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr),
            16);
    return {};
}

bool ClientConnections::acquire(const sockaddr* client) {
    std::lock_guard lock(mutex_);
    std::size_t& n = open_[key(client)];
    if (n >= per_client_) return false;
    ++n;
    return true;
}

void ClientConnections::release(const sockaddr* client) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(key(client));
    if (it != open_.end() && --it->second == 0) open_.erase(it);
}

ClientSlot::ClientSlot(ClientConnections& c, const sockaddr* client) : connections_(c) {
    std::memcpy(&client_, client,
                client->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    held_ = connections_.acquire(client);
}

ClientSlot::~ClientSlot() {
    if (held_) connections_.release(reinterpret_cast<const sockaddr*>(&client_));
}

}  // namespace port53::transports
